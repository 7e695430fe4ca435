using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// The OpenAPI document says what every operation answers when it succeeds, with the answer's schema where it has a body:
/// Swagger's users and generated clients had no success answer for about sixty operations (GET /api/v1/claims/{id} listed
/// only 400, 401 and 403), because a controller-wide list of error answers hid the ones ASP.NET infers from the return type.
/// </summary>
public sealed class OpenApiAnswersTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task EveryOperation_DescribesItsSuccessAnswer()
    {
        var api = await OpenApi.ReadAsync(Db);
        var silent = new List<string>();
        foreach (var (path, item) in api.Document["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
                if (!op!["responses"]!.AsObject().Any(r => r.Key.StartsWith('2')))
                    silent.Add($"{method.ToUpperInvariant()} {path}");
        Assert.True(silent.Count == 0, $"{silent.Count} operations describe no success answer:\n" + string.Join("\n", silent));
    }

    [Theory]
    [InlineData("/api/v1/claims/{claimId}", "get", "200", "ClaimView")]
    [InlineData("/api/v1/claims/{claimId}/lines", "post", "201", "ClaimView")]
    [InlineData("/api/v1/claims/{claimId}/submit", "post", "200", "ClaimView")]
    public async Task AClaimsOperation_AnswersTheClaimsView(string path, string method, string status, string schema)
    {
        var api = await OpenApi.ReadAsync(Db);
        var answer = api.Document["paths"]![path]![method]!["responses"]![status];
        Assert.NotNull(answer);
        Assert.EndsWith($".{schema}", answer!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
    }

    /// <summary>
    /// The trial balance's row says which way its balance is signed, as an account's says it is on its normal side: a
    /// school's available account read 5013.84 in the accounts list and -5013.84 in the trial balance, with nothing saying why.
    /// </summary>
    /// <summary>
    /// Every list's limit in the OpenAPI document is the one the service takes: 1 to its most, with its default, and the most
    /// itself is read while one more is refused (422 naming limit), called for every operation that takes one; a list's state,
    /// a unit and an answer's format list their values. The document gave every limit as any 32-bit integer and no default,
    /// and every state as any string: a client built from it sent limit=5000 to the claims and was refused.
    /// </summary>
    [Fact]
    public async Task EveryListsLimit_IsTheOneTheServiceTakes_AndAQuerysFixedValuesAreListed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var limits = api.Operations.SelectMany(o => o.Query.Where(q => q.Name == "limit").Select(q => (Op: o, Schema: q.Schema!))).ToList();
        Assert.True(limits.Count >= 9, $"{limits.Count} lists with a limit");
        var wrong = new List<string>();
        foreach (var (op, schema) in limits)
        {
            var most = schema["maximum"]?.ToString();
            if (schema["minimum"]?.ToString() != "1" || most is not ("1000" or "5000")) { wrong.Add($"{op.Key}: limit {schema.ToJsonString()}"); continue; }
            var role = AccessMatrix.Allowed[op.Key][0];
            var path = records.Fill(op.Path, "own", role);
            var given = op.Query.Where(q => q.Required || q.Name == "programmeId").Select(q => $"{q.Name}={records.Own[q.Name]}").ToList();
            foreach (var (limit, refused) in new[] { (most, false), ((int.Parse(most) + 1).ToString(), true) })
            {
                var answer = await OpenApi.SendAsync(records.Users[role], op, path + "?" + string.Join("&", given.Append($"limit={limit}")));
                if (refused ? answer.Status != System.Net.HttpStatusCode.UnprocessableEntity || answer.Json["errors"]?["limit"] is null
                        : answer.Status != System.Net.HttpStatusCode.OK)
                    wrong.Add($"{op.Key}?limit={limit} → {(int)answer.Status} {answer.Body[..Math.Min(200, answer.Body.Length)]}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        JsonNode Parameter(string path, string name) =>
            api.Resolve(api.Operations.Single(o => o.Key == $"GET {path}").Query.Single(q => q.Name == name).Schema)!;
        Assert.Equal("100", Parameter("/api/v1/claims", "limit")["default"]?.ToString());
        Assert.Equal("2000", Parameter("/api/v1/action-plans", "limit")["default"]?.ToString());
        Assert.Equal("500", Parameter("/api/v1/programmes/{programmeId}/payment-runs", "limit")["default"]?.ToString());
        Assert.Null(Parameter("/api/v1/programmes/{programmeId}/schools", "limit")["default"]); // the whole list
        string[] Listed(JsonNode schema) => schema["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
        Assert.Equal(Web.Claims.ClaimReads.States, Listed(Parameter("/api/v1/claims", "state")));
        Assert.Equal(["draft", "submitted", "agreed", "superseded"], Listed(Parameter("/api/v1/action-plans", "state")));
        Assert.Equal(["built", "approved", "exported", "paid", "cancelled"], Listed(Parameter("/api/v1/programmes/{programmeId}/payment-runs", "state")));
        Assert.Equal(["GBP", "MIN"], Listed(Parameter("/api/v1/programmes/{programmeId}/accounts", "unit")));
        Assert.Equal(["GBP", "MIN"], Listed(Parameter("/api/v1/audit/journal", "unit")));
        Assert.Equal(["json", "csv"], Listed(Parameter("/api/v1/audit/events", "format")));
    }

    /// <summary>
    /// Every refusal is described as it is sent, an RFC 9457 problem (application/problem+json), whatever the success is: the
    /// payment file's export and download described their 4xx as text/csv, and every other operation as application/json
    /// and text/json, so a generated client looked for a CSV or plain JSON in a refusal.
    /// </summary>
    [Fact]
    public async Task EveryRefusal_IsDescribedAsTheProblemDocumentItIs()
    {
        var api = await OpenApi.ReadAsync(Db);
        var wrong = new List<string>();
        foreach (var (path, item) in api.Document["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
                foreach (var (status, answer) in op!["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
                {
                    var types = answer!["content"]?.AsObject().Select(c => c.Key).ToArray() ?? [];
                    if (types is not ["application/problem+json"] || answer["content"]!["application/problem+json"]!["schema"] is null)
                        wrong.Add($"{method.ToUpperInvariant()} {path} {status}: {string.Join(", ", types)}");
                }
        Assert.True(wrong.Count == 0, $"{wrong.Count} refusals not described as problems:\n" + string.Join("\n", wrong.Take(40)));
        Assert.Equal(["text/csv"], api.Document["paths"]!["/api/v1/payment-runs/{runId}/file"]!["get"]!["responses"]!["200"]!["content"]!.AsObject().Select(c => c.Key));
    }

    /// <summary>
    /// An import describes the file it takes, the CSV as the body (text/csv) or as the multipart field "file", as large as
    /// the service takes it: the claims' lines and the schools' imports gave no request body at all.
    /// </summary>
    [Theory]
    [InlineData("/api/v1/claims/{claimId}/lines/import", 1_000_000)]
    [InlineData("/api/v1/programmes/{programmeId}/schools/import", Web.Programmes.ImportSchools.MostBytes)]
    public async Task AnImport_DescribesTheCsvItTakes(string path, long most)
    {
        var api = await OpenApi.ReadAsync(Db);
        var body = api.Document["paths"]![path]!["post"]!["requestBody"]!;
        Assert.True(body["required"]!.GetValue<bool>());
        Assert.Equal(["text/csv", "multipart/form-data"], body["content"]!.AsObject().Select(c => c.Key));
        Assert.Equal(most, body["content"]!["text/csv"]!["schema"]!["maxLength"]!.GetValue<long>());
        var form = body["content"]!["multipart/form-data"]!["schema"]!;
        Assert.Equal(["file"], form["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("binary", form["properties"]!["file"]!["format"]!.GetValue<string>());
    }

    /// <summary>
    /// Every 201 describes its Location header (the created record's address) and every answer of a versioned record its
    /// ETag (a claim, an action plan, a payment run): neither header was in the document, so a client built from it never
    /// read the address it was given, nor the version to send back as If-Match.
    /// </summary>
    [Fact]
    public async Task ACreatedAnswer_DescribesItsLocation_AndAVersionedRecordsAnswer_ItsETag()
    {
        var api = await OpenApi.ReadAsync(Db);
        var created = new List<string>();
        var missing = new List<string>();
        foreach (var (path, item) in api.Document["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
                if (op!["responses"]!["201"] is { } answer)
                {
                    created.Add($"{method} {path}");
                    if (answer["headers"]?["Location"]?["schema"] is null) missing.Add($"{method.ToUpperInvariant()} {path}");
                }
        Assert.True(created.Count >= 15, $"{created.Count} operations answer 201");
        Assert.True(missing.Count == 0, "201 without Location: " + string.Join(", ", missing));
        foreach (var (path, method, status) in new[]
                 {
                     ("/api/v1/claims/{claimId}", "get", "200"), ("/api/v1/claims", "post", "201"), ("/api/v1/claims/{claimId}/submit", "post", "200"),
                     ("/api/v1/claims/{claimId}/lines/import", "post", "200"), ("/api/v1/action-plans/{planId}", "get", "200"),
                     ("/api/v1/action-plans/{planId}/revise", "post", "201"), ("/api/v1/payment-runs/{runId}", "get", "200"),
                     ("/api/v1/payment-runs/{runId}/approve", "post", "200"),
                 })
            Assert.True(api.Document["paths"]![path]![method]!["responses"]![status]!["headers"]?["ETag"]?["schema"] is not null, $"{method} {path} {status}: no ETag");
        Assert.Null(api.Document["paths"]!["/api/v1/programmes/{programmeId}"]!["get"]!["responses"]!["200"]!["headers"]?["ETag"]);
    }

    /// <summary>
    /// A query parameter that takes a fixed list or a range says so: the review queue's state, the audit trail's order and a
    /// trial balance's depth (1 to 10, where the document gave any 32-bit integer) were refused by the service, 422, with
    /// nothing in the document to say why.
    /// </summary>
    [Fact]
    public async Task AQuerysFixedValuesAndRange_AreTheOnesTheServiceTakes()
    {
        var api = await OpenApi.ReadAsync(Db);
        JsonNode Parameter(string path, string name) =>
            api.Resolve(api.Operations.Single(o => o.Key == $"GET {path}").Query.Single(q => q.Name == name).Schema)!;
        string[] Listed(JsonNode schema) => schema["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
        Assert.Equal(["submitted", "under-review", "awaiting-second-approval"], Listed(Parameter("/api/v1/review-queue", "state")));
        Assert.Equal(["written", "newest"], Listed(Parameter("/api/v1/audit/events", "order")));
        foreach (var path in new[] { "/api/v1/programmes/{programmeId}/trial-balance", "/api/v1/audit/programmes/{programmeId}/trial-balance" })
            Assert.Equal(("1", "10"), (Parameter(path, "depth")["minimum"]?.ToString(), Parameter(path, "depth")["maximum"]?.ToString()));
    }

    [Fact]
    public async Task TheTrialBalancesRow_SaysItsBalanceIsDebitsLessCredits()
    {
        var api = await OpenApi.ReadAsync(Db);
        Assert.Contains("debits less credits", api.Document["components"]!["schemas"]!["Ledger.TrialBalanceRow"]!["description"]?.GetValue<string>() ?? "");
        Assert.Contains("normal side", api.Document["components"]!["schemas"]!["Ledger.AccountView"]!["description"]?.GetValue<string>() ?? "");
    }

    /// <summary>
    /// An operation that changes only the version of its record the caller read gives the If-Match header as a parameter,
    /// as the README's conventions say of claims, action plans and payment runs: the document named If-Match nowhere, so a
    /// client built from it never sent one. Reads and operations that keep no version give none.
    /// </summary>
    [Theory]
    [InlineData("/api/v1/claims/{claimId}/submit", "post", true)]
    [InlineData("/api/v1/claims/{claimId}/lines/{lineId}", "put", true)]
    [InlineData("/api/v1/claims/{claimId}", "patch", true)]
    [InlineData("/api/v1/action-plans/{planId}", "put", true)]
    [InlineData("/api/v1/action-plans/{planId}/agree", "post", true)]
    [InlineData("/api/v1/action-plans/{planId}/revise", "post", true)]
    [InlineData("/api/v1/evidence/{evidenceId}", "delete", true)]
    [InlineData("/api/v1/payment-runs/{runId}/approve", "post", true)]
    [InlineData("/api/v1/payment-runs/{runId}/export", "post", true)]
    [InlineData("/api/v1/claims/{claimId}", "get", false)]
    [InlineData("/api/v1/programmes/{programmeId}/payment-runs", "post", false)]
    public async Task AnOperationKeepingIfMatch_GivesTheHeader(string path, string method, bool keeps)
    {
        var api = await OpenApi.ReadAsync(Db);
        var parameters = api.Document["paths"]![path]![method]!["parameters"]?.AsArray() ?? [];
        Assert.Equal(keeps, parameters.Any(p => p!["name"]!.GetValue<string>() == "If-Match" && p["in"]!.GetValue<string>() == "header"));
    }

    /// <summary>
    /// The document lists the refusals an operation answers (the README's conventions: unknown id 404, conflicting state 409,
    /// a broken rule 422), each as the service answers it here: GET /api/v1/claims/{claimId} gave only 200, 400, 401 and 403,
    /// and a claim's submit no 409 or 422. Every operation whose path names a record lists 404, every write 409 and 422.
    /// </summary>
    [Fact]
    public async Task EveryOperation_ListsTheRefusalsItAnswers()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        var api = await OpenApi.ReadAsync(Db);
        var answered = new (string Path, string Method, Answer Answer)[]
        {
            ("/api/v1/claims/{claimId}", "get", await w.School.GetAsync("/api/v1/claims/424242")),
            ("/api/v1/claims/{claimId}/submit", "post", await w.School.PostAsync($"/api/v1/claims/{draft}/submit", new { declaration = false })),
            ("/api/v1/claims/{claimId}/approve", "post", await w.Lead.PostAsync($"/api/v1/claims/{draft}/approve", null)),
            ("/api/v1/programmes/{programmeId}/accounts", "get", await w.Admin.GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/accounts?limit=0")),
        };
        foreach (var (path, method, answer) in answered)
            Assert.True(api.Document["paths"]![path]![method]!["responses"]![((int)answer.Status).ToString()] is not null,
                $"{method.ToUpperInvariant()} {path} answered {(int)answer.Status}, which the document does not list");

        var missing = new List<string>();
        foreach (var (path, item) in api.Document["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
            {
                var listed = op!["responses"]!.AsObject();
                var expected = (path.Contains('{') ? new[] { "404" } : []).Concat(method == "get" ? [] : new[] { "409", "422" });
                missing.AddRange(expected.Where(s => !listed.ContainsKey(s)).Select(s => $"{method.ToUpperInvariant()} {path}: {s}"));
            }
        Assert.True(missing.Count == 0, $"{missing.Count} refusals not listed:\n" + string.Join("\n", missing));
    }

    /// <summary>
    /// A request's field that takes one of a fixed list gives that list as its enum, as an action plan's themes did: a client
    /// had to guess a claim line's kind, role, activity and specialist, the unit of a funding or a category, a category's
    /// kind, an export's kind, a year end's treatment, a user's role, a rate's basis and a programme's kind of area, or
    /// send one and read the refusal's list.
    /// </summary>
    [Theory]
    [InlineData("Claims.LineEditing.LineInput", "kind", "staff-time tlr support-hours action-plan specialist-days")]
    [InlineData("Claims.LineEditing.LineInput", "role", "leader teacher support-staff")]
    [InlineData("Claims.LineEditing.LineInput", "activity", "training peer-visit shared-learning-network student-action-group implementation programme-admin")]
    [InlineData("Claims.LineEditing.LineInput", "specialist", "occupational-therapist speech-and-language-therapist educational-psychologist specialist-teacher other")]
    [InlineData("Allocations.Fund.Request", "unit", "GBP MIN")]
    [InlineData("Programmes.SetUp.NewCategory", "unit", "GBP MIN")]
    [InlineData("Programmes.SetUp.NewCategory", "kind", "staff-cover tlr-admin action-plan programme-pot time-allowance")]
    [InlineData("Programmes.SetUp.NewProgramme", "areaKind", "borough icb")]
    [InlineData("Exports.ExportJobs.NewExport", "kind", "workbook csv hledger beancount")]
    [InlineData("Payments.Closing.YearEndRule", "treatment", "lapse carry-forward")]
    [InlineData("Access.Users.NewUser", "role", "school_business_manager area_lead programme_admin funder_finance auditor")]
    [InlineData("RateCards.RateCards.NewRate", "basis", "day hour period")]
    public async Task AFieldTakingOneOfAList_GivesTheListAsItsEnum(string schema, string field, string values)
    {
        var api = await OpenApi.ReadAsync(Db);
        var property = api.Document["components"]!["schemas"]![schema]!["properties"]![field]!;
        Assert.Equal(values.Split(' '), property["enum"]?.AsArray().Select(v => v!.GetValue<string>()).ToArray() ?? []);
    }

    /// <summary>
    /// The document's descriptions are written for a client: none names the service's code as the compiler does. The year
    /// end's fingerprint and the user's answer said "the M:GrantLedger.Web.Payments.Closing.FingerprintOf(System.Collections.
    /// Generic.IEnumerable{…}) of the figures" and "(M:GrantLedger.Web.Access.Passwords.Generate)": a reference in a comment
    /// the document is made from, which Swashbuckle writes out as its XML documentation id.
    /// </summary>
    [Fact]
    public async Task NoDescription_NamesTheServicesCode()
    {
        var api = await OpenApi.ReadAsync(Db);
        var said = new List<string>();
        void Read(JsonNode? node, string where)
        {
            if (node is JsonObject o) foreach (var (key, value) in o) Read(value, $"{where}/{key}");
            else if (node is JsonArray a) for (var i = 0; i < a.Count; i++) Read(a[i], $"{where}[{i}]");
            else if (node is JsonValue v && v.TryGetValue<string>(out var text) && (where.EndsWith("/description") || where.EndsWith("/summary"))
                && Regex.IsMatch(text, @"\b[MTPFE]:[A-Z]|GrantLedger\.(Web|Core)\.|System\.Collections"))
                said.Add($"{where}: {text}");
        }
        Read(api.Document, "");
        Assert.True(said.Count == 0, $"{said.Count} descriptions name the code:\n" + string.Join("\n", said));
    }
}
