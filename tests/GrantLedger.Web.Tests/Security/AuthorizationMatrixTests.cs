using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// OWASP API1 (object level) and API5 (function level), from the OpenAPI document: every operation
/// × every role × the caller's own records and someone else's. A role the table does not allow
/// gets 403 on its own records; nobody gets anything but 403 or 404 on records outside their scope.
/// An operation missing from the table fails the test, so a new endpoint must say who may call it.
/// </summary>
public sealed partial class AuthorizationMatrixTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    private const string S = "school", L = "lead", A = "admin", F = "finance", U = "auditor";
    private static readonly string[] Everyone = [S, L, A, F, U];
    private static readonly string[] Writers = [S, L, A, F];

    /// <summary>Who may call each operation (on records in their scope).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["GET /api/v1/me"] = Everyone,
        ["GET /api/v1/me/tokens"] = Everyone,
        ["POST /api/v1/me/tokens"] = Writers,
        ["DELETE /api/v1/me/tokens/{tokenId}"] = Writers,
        ["GET /api/v1/users"] = [A],
        ["POST /api/v1/users"] = [A],
        ["GET /api/v1/users/{userId}"] = [A],
        ["POST /api/v1/users/{userId}/disable"] = [A],
        ["POST /api/v1/users/{userId}/enable"] = [A],
        ["GET /api/v1/action-plans/themes"] = Everyone,
        ["POST /api/v1/action-plans"] = [S],
        ["GET /api/v1/action-plans"] = Everyone,
        ["GET /api/v1/action-plans/{planId}"] = Everyone,
        ["PUT /api/v1/action-plans/{planId}"] = [S],
        ["POST /api/v1/action-plans/{planId}/submit"] = [S],
        ["POST /api/v1/action-plans/{planId}/agree"] = [L],
        ["POST /api/v1/action-plans/{planId}/return"] = [L],
        ["POST /api/v1/action-plans/{planId}/revise"] = [S],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/funding"] = [A],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/allocations"] = [A],
        ["GET /api/v1/programmes/{programmeId}/years/{yearId}/allocations"] = [A, F, U],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/virements"] = [A],
        ["POST /api/v1/claims"] = [S],
        ["GET /api/v1/claims"] = Everyone,
        ["GET /api/v1/claims/{claimId}"] = Everyone,
        ["PATCH /api/v1/claims/{claimId}"] = [S],
        ["DELETE /api/v1/claims/{claimId}"] = [S],
        ["POST /api/v1/claims/{claimId}/lines"] = [S],
        ["PUT /api/v1/claims/{claimId}/lines/{lineId}"] = [S],
        ["DELETE /api/v1/claims/{claimId}/lines/{lineId}"] = [S],
        ["POST /api/v1/claims/{claimId}/evidence"] = [S],
        ["GET /api/v1/evidence/{evidenceId}"] = Everyone,
        ["DELETE /api/v1/evidence/{evidenceId}"] = [S],
        ["POST /api/v1/claims/{claimId}/submit"] = [S],
        ["POST /api/v1/claims/{claimId}/withdraw"] = [S],
        ["POST /api/v1/claims/{claimId}/start-review"] = [L],
        ["POST /api/v1/claims/{claimId}/approve"] = [L],
        ["POST /api/v1/claims/{claimId}/second-approve"] = [A],
        ["POST /api/v1/claims/{claimId}/return"] = [L, A], // the programme admin returns or rejects at second approval
        ["POST /api/v1/claims/{claimId}/reject"] = [L, A],
        ["GET /api/v1/review-queue"] = [L, A],
        ["GET /api/v1/programmes/{programmeId}/accounts"] = Everyone,
        ["GET /api/v1/accounts/{accountId}"] = Everyone,
        ["GET /api/v1/accounts/{accountId}/statement"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/trial-balance"] = [A, F, U],
        ["GET /api/v1/journal-entries/{entryId}"] = Everyone,
        ["POST /api/v1/journal-entries/{entryId}/reversal"] = [A],
        ["POST /api/v1/programmes/{programmeId}/payment-runs"] = [F],
        ["GET /api/v1/programmes/{programmeId}/payment-runs"] = [A, F, U],
        ["GET /api/v1/payment-runs/{runId}"] = [A, F, U],
        ["POST /api/v1/payment-runs/{runId}/approve"] = [F],
        ["POST /api/v1/payment-runs/{runId}/cancel"] = [F],
        ["POST /api/v1/payment-runs/{runId}/export"] = [F],
        ["GET /api/v1/payment-runs/{runId}/file"] = [A, F, U],
        ["POST /api/v1/programmes/{programmeId}/payment-confirmations"] = [F],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/periods/{periodId}/close"] = [F],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/close"] = [F],
        ["GET /api/v1/programmes"] = Everyone,
        ["POST /api/v1/programmes"] = [], // only an admin tied to no programme creates programmes (ProgrammeSetUpTests)
        ["GET /api/v1/programmes/{programmeId}"] = Everyone,
        ["PATCH /api/v1/programmes/{programmeId}"] = [A],
        ["GET /api/v1/programmes/{programmeId}/years"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/years"] = [A],
        ["GET /api/v1/programmes/{programmeId}/areas"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/areas"] = [A],
        ["GET /api/v1/programmes/{programmeId}/categories"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/categories"] = [A],
        ["GET /api/v1/programmes/{programmeId}/schools"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/schools"] = [A],
        ["POST /api/v1/programmes/{programmeId}/schools/import"] = [A],
        ["GET /api/v1/schools/{schoolId}"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/rates"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/rates"] = [A],
    };

    /// <summary>Operations outside the matrix: signing in takes no token.</summary>
    private static readonly HashSet<string> Anonymous = ["POST /api/v1/auth/token"];

    private sealed record Operation(string Method, string Path, bool Multipart, bool Csv)
    {
        public string Key => $"{Method} {Path}";
    }

    [Fact]
    public async Task EveryOperation_EveryRole_OwnAndOthersRecords_AnswerAsTheTableSays()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = await OwnAndOtherAsync(w);
        var users = new Dictionary<string, ApiClient>
        {
            [S] = w.School, [L] = w.Lead, [A] = w.Admin, [F] = await w.S.FinanceAsync(Db),
            [U] = await w.S.AuditorAsync(Db), // auditors see every programme: no record is outside their scope
        };
        var operations = await OperationsAsync();
        var missing = operations.Where(o => !Allowed.ContainsKey(o.Key) && !Anonymous.Contains(o.Key)).Select(o => o.Key).ToList();
        Assert.True(missing.Count == 0, "operations with no row in the matrix: " + string.Join(", ", missing));

        var failures = new List<string>();
        var calls = 0;
        // Someone else's records first (nothing may change them), then one's own, destructive operations last.
        foreach (var scope in new[] { "other", "own" })
            foreach (var op in operations.Where(o => !Anonymous.Contains(o.Key)).OrderBy(o => o.Method == "DELETE" || o.Path.EndsWith("/disable") ? 1 : 0))
            {
                var allowed = Allowed[op.Key];
                // Forbidden roles first, so an allowed role's success cannot hide a forbidden one's answer.
                foreach (var role in Everyone.OrderBy(r => allowed.Contains(r) ? 1 : 0))
                {
                    if (scope == "other" && !ids.HasOther(op.Path, role)) continue;
                    var path = ids.Fill(op.Path, scope, role);
                    var answer = await CallAsync(users[role], op, path);
                    calls++;
                    var status = (int)answer.Status;
                    var ok = scope == "other"
                        ? status is 403 or 404
                        : allowed.Contains(role) ? status is not (401 or 403 or 500) : status == 403;
                    if (status == 500) ok = false;
                    if (!ok) failures.Add($"{scope,-5} {role,-7} {op.Method} {path} → {status} {Trim(answer.Body)}");
                }
            }
        output.WriteLine($"{calls} calls over {operations.Count} operations");
        Assert.True(failures.Count == 0, $"{failures.Count} answers differ from the matrix:\n" + string.Join("\n", failures));
    }

    private static string Trim(string body) => body.Length > 160 ? body[..160] + "…" : body;

    private async Task<List<Operation>> OperationsAsync()
    {
        var doc = JsonNode.Parse(await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var list = new List<Operation>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
                list.Add(new Operation(method.ToUpperInvariant(), path,
                    op!["requestBody"]?["content"]?.AsObject().ContainsKey("multipart/form-data") == true,
                    path.EndsWith("/schools/import", StringComparison.Ordinal)));
        return list;
    }

    private static async Task<Answer> CallAsync(ApiClient client, Operation op, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(op.Method), path);
        if (op.Multipart)
        {
            var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent("%PDF-1.4 matrix"u8.ToArray()), "file", "matrix.pdf");
            request.Content = form;
        }
        else if (op.Csv) request.Content = new StringContent("URN,EstablishmentName\n", Encoding.UTF8, "text/csv");
        else if (op.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.Http.SendAsync(request);
        return await Answer.ReadAsync(response);
    }

    /// <summary>Path ids: the caller's own records, and records outside their scope.</summary>
    private sealed partial class Ids
    {
        public required Dictionary<string, long> Own { get; init; }
        /// <summary>For the school and the area lead: the school of the other area, in the same programme.</summary>
        public required Dictionary<string, long> OtherSchool { get; init; }
        /// <summary>For programme-scoped roles: another programme.</summary>
        public required Dictionary<string, long> OtherProgramme { get; init; }

        private Dictionary<string, long> Other(string role) => role is S or L ? OtherSchool : OtherProgramme;

        private static IEnumerable<string> Names(string path) => Param().Matches(path).Select(m => m.Groups[1].Value);

        /// <summary>Only where every id of the path has an out-of-scope value, and at least one.</summary>
        public bool HasOther(string path, string role) => role != U && Names(path).Any() && Names(path).All(Other(role).ContainsKey);

        public string Fill(string path, string scope, string role) =>
            Param().Replace(path, m => (scope == "other" ? Other(role) : Own)[m.Groups[1].Value].ToString());

        [GeneratedRegex(@"\{(\w+)\}")]
        private static partial Regex Param();
    }

    private async Task<Ids> OwnAndOtherAsync(ClaimWorld w)
    {
        var s = w.S;
        var school2 = await s.SchoolUserAsync(Db, 2); // area 1
        async Task<(long Claim, long Line, long Evidence)> DraftAsync(ApiClient school, string staff)
        {
            var claim = await w.NewClaimAsync(school);
            var line = (await w.AddStaffTimeAsync(claim, staff, school: school))["id"]!.GetValue<long>();
            var evidence = (await w.AttachAsync(claim, ClaimWorld.Pdf(staff), "e.pdf", line, school)).Expect(HttpStatusCode.Created).Id;
            return (claim, line, evidence);
        }
        var own = await DraftAsync(w.School, "M-01");
        var other = await DraftAsync(school2, "M-02");
        var submitted2 = await w.NewClaimAsync(school2);
        await w.AddStaffTimeAsync(submitted2, "M-04", school: school2);
        (await w.SubmitAsync(submitted2, school2)).Expect(HttpStatusCode.OK);
        var plan0 = (await w.School.GetAsync("/api/v1/action-plans")).Expect(HttpStatusCode.OK).Json.AsArray()[0]!["id"]!.GetValue<long>();
        var plan2 = (await school2.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = s.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = "2026-09-20",
            actions = new[] { new { theme = "learning", description = "Kit", periodId = w.Periods["aut1"], estimatedCost = "10.00" } },
        })).Expect(HttpStatusCode.Created).Id;

        // An approved claim of school 0 in a payment run.
        var approved = await w.UnderReviewAsync("M-03", "2026-10-08");
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var finance = await s.FinanceAsync(Db, "maker");
        var run = (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;

        long Account(int school) => Db.ScalarAsync("SELECT id FROM account WHERE code = $1 AND unit = 'GBP'", s.SchoolAccount(school, "staff-cover", "available")).Result;
        long EntryOf(long account) => Db.ScalarAsync("SELECT min(entry_id) FROM transfer WHERE debit_account_id = $1", account).Result;
        var victim = await s.SchoolUserAsync(Db, 3);
        var token = await Db.ScalarAsync("SELECT max(id) FROM api_token WHERE user_id = $1", victim.UserId);

        // Another programme, funded, with its own school.
        var b = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: s.Root);
        await b.FundAsync("100.00");
        var bFunding = await Db.ScalarAsync("SELECT id FROM account WHERE code = 'tb:2026-27:funding' AND unit = 'GBP'");
        var bYears = (await s.Root.GetAsync($"/api/v1/programmes/{b.ProgrammeId}/years")).Json.AsArray();

        return new Ids
        {
            Own = new()
            {
                ["programmeId"] = s.ProgrammeId, ["yearId"] = s.YearId, ["periodId"] = w.Periods["aut1"], ["schoolId"] = s.Schools[0].Id,
                ["claimId"] = own.Claim, ["lineId"] = own.Line, ["evidenceId"] = own.Evidence, ["planId"] = plan0,
                ["accountId"] = Account(0), ["entryId"] = EntryOf(Account(0)), ["runId"] = run, ["userId"] = victim.UserId, ["tokenId"] = token,
            },
            OtherSchool = new()
            {
                ["schoolId"] = s.Schools[2].Id, ["claimId"] = other.Claim, ["lineId"] = other.Line, ["evidenceId"] = other.Evidence,
                ["planId"] = plan2, ["accountId"] = Account(2), ["entryId"] = EntryOf(Account(2)),
            },
            OtherProgramme = new()
            {
                ["programmeId"] = b.ProgrammeId, ["yearId"] = b.YearId, ["periodId"] = bYears[0]!["periods"]![0]!["id"]!.GetValue<long>(),
                ["schoolId"] = b.Schools[0].Id, ["accountId"] = bFunding, ["entryId"] = await Db.ScalarAsync("SELECT min(entry_id) FROM transfer WHERE debit_account_id = $1", bFunding),
            },
        };
    }
}
