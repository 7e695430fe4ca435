using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;
using static GrantLedger.Web.Tests.Security.AccessMatrix;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// Every operation of the OpenAPI document that takes a JSON body, called by a role allowed to call
/// it, with malformed bodies built from its schema: not JSON, too deep, wrong types, missing and
/// extra fields, huge and odd Unicode strings, negative, zero, overflowing and three-decimal
/// amounts. The service never answers 500, refuses with a problem document, and a refusal writes
/// nothing.
/// </summary>
public sealed class FuzzTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    private static readonly string[] Amounts = ["-1.00", "0", "0.00", "1.234", "99999999999999999999.99", "1e5", "£1.00", "1,00", " ", "NaN"];
    private static readonly string[] OddStrings =
        [new string('x', 200_000), "\u0000", "\u202Egnp.exe", "👩‍👩‍👧‍👦🏴󠁧󠁢󠁳󠁣󠁴󠁿", "Ｒｏｂｅｒｔ'); DROP TABLE claim;--", "\uFEFF\u200B", "a\r\nb"];
    private static readonly JsonNode?[] WrongScalars = [JsonValue.Create(true), JsonValue.Create(-1), JsonValue.Create(1e308), JsonValue.Create("x"), new JsonArray(), new JsonObject(), null];

    [Fact]
    public async Task MalformedBodies_NeverAnswer500_AndRefusalsWriteNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var answers = new HostileAnswers(Db);
        foreach (var op in api.Operations.Where(o => o.TakesBody && !o.Multipart && !o.Csv && !Anonymous.Contains(o.Key)))
        {
            var role = Allowed[op.Key].FirstOrDefault();
            if (role is null) continue;
            var path = records.Fill(op.Path, "own", role);
            foreach (var body in Bodies(api, op, records))
                await answers.SendAsync($"{op.Key} {HostileAnswers.Clip(body, 120)}", () => OpenApi.SendAsync(records.Users[role], op, path, body));
        }
        output.WriteLine($"{answers.Sent} malformed requests");
        answers.AssertNone(atLeast: 500);
    }

    /// <summary>
    /// A null where a list holds objects ({"lines": [null]}, {"actions": [null]}), in every list of objects of every body,
    /// however deep: refused 400 naming the element by its path ("lines[0]"), as a null in a list of ids is; it was read as
    /// a line that is not there, and answered 500.
    /// </summary>
    [Fact]
    public async Task NullInAListOfObjects_IsRefusedNamingItsPath_InEveryBody()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var answers = new HostileAnswers(Db);
        var misnamed = new List<string>();
        foreach (var op in api.Operations.Where(o => o.TakesBody && !o.Multipart && !o.Csv && !Anonymous.Contains(o.Key)))
        {
            var role = Allowed[op.Key].FirstOrDefault();
            if (role is null) continue;
            var path = records.Fill(op.Path, "own", role);
            foreach (var (field, body) in NullElements(api, api.Resolve(op.JsonSchema), records, "", 0))
            {
                var json = body.ToJsonString();
                var answer = await answers.SendAsync($"{op.Key} {json}", () => OpenApi.SendAsync(records.Users[role], op, path, json));
                if (answer.Status != System.Net.HttpStatusCode.BadRequest || answer.Json["errors"]?[field] is null)
                    misnamed.Add($"{op.Key} {json} → {(int)answer.Status} {HostileAnswers.Clip(answer.Body, 300)}");
            }
        }
        output.WriteLine($"{answers.Sent} bodies with a null in a list of objects");
        answers.AssertNone(atLeast: 5);
        Assert.True(misnamed.Count == 0, "not 400 naming the element:\n" + string.Join("\n", misnamed));
    }

    /// <summary>
    /// For each list of objects a schema has (in its properties, in its objects' properties, in its lists' objects), a
    /// plausible body with that list holding one null, and the element's path as a field error names it.
    /// </summary>
    private static IEnumerable<(string Field, JsonObject Body)> NullElements(OpenApi api, JsonNode? schema, ScopedRecords records, string prefix, int depth)
    {
        if (depth > 4 || schema?["properties"] is not JsonObject properties) yield break;
        foreach (var (name, p) in properties)
        {
            var property = api.Resolve(p);
            var types = OpenApi.Types(property);
            var field = prefix + name;
            if (types.Contains("array") && api.Resolve(property?["items"]) is { } items && IsObject(api, items))
            {
                yield return (field + "[0]", Body(api, schema, records, name, new JsonArray((JsonNode?)null)));
                foreach (var (inner, element) in NullElements(api, items, records, field + "[0].", depth + 1))
                    yield return (inner, Body(api, schema, records, name, new JsonArray(element)));
            }
            else if (IsObject(api, property))
                foreach (var (inner, value) in NullElements(api, property, records, field + ".", depth + 1))
                    yield return (inner, Body(api, schema, records, name, value));
        }
    }

    private static bool IsObject(OpenApi api, JsonNode? schema) =>
        api.Resolve(schema) is { } s && (OpenApi.Types(s).Contains("object") || s["properties"] is JsonObject);

    /// <summary>A plausible body for the schema, with one property given.</summary>
    private static JsonObject Body(OpenApi api, JsonNode? schema, ScopedRecords records, string name, JsonNode value)
    {
        var body = new JsonObject();
        foreach (var (n, p) in schema!["properties"]!.AsObject())
            body[n] = n == name ? value : Plausible(api, n, api.Resolve(p), records);
        return body;
    }

    private static readonly string[] OddQueryValues =
        ["\u0000", "tp\u0000", new string('x', 20_000), "-1", "0", "9223372036854775808", "1e400", "1.234", "x", "2026-02-30", " ", "\u202Egnp", "'; DROP TABLE claim;--"];

    /// <summary>
    /// The same for every operation's query parameters: each sent on its own with an odd value, the required ones
    /// beside it as a client would send them. Never a 500 or a logged error; every refusal a problem document, naming the
    /// parameter as the document names it and saying what it must be, not in the framework's words.
    /// </summary>
    [Fact]
    public async Task MalformedQueries_NeverAnswer500_AndAreRefusedAsProblems()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var answers = new HostileAnswers(Db);
        var unclear = new List<string>();
        foreach (var op in api.Operations.Where(o => o.Query.Count > 0 && !Anonymous.Contains(o.Key)))
        {
            var role = Allowed[op.Key].FirstOrDefault();
            if (role is null) continue;
            var path = records.Fill(op.Path, "own", role);
            var given = op.Query.Where(q => q.Required).ToDictionary(q => q.Name, q => Plausible(api, q.Name, api.Resolve(q.Schema), records)?.ToString() ?? "");
            foreach (var parameter in op.Query)
                foreach (var value in OddQueryValues)
                {
                    var query = new Dictionary<string, string>(given) { [parameter.Name] = value };
                    var url = path + "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));
                    var answer = await answers.SendAsync($"{op.Key} ?{parameter.Name}={HostileAnswers.Clip(value, 20)}", () => OpenApi.SendAsync(records.Users[role], op, url));
                    // named as sent and saying what it must be: "The value 'x' is not valid for After." named neither
                    if (answer.ContentType == "application/problem+json" && answer.Json["errors"] is JsonObject errors)
                        foreach (var (field, messages) in errors)
                            if (char.IsUpper(field[0]) || messages!.AsArray().Any(m => m!.ToString().Contains("is not valid", StringComparison.Ordinal)))
                                unclear.Add($"{op.Key} ?{parameter.Name}={HostileAnswers.Clip(value, 20)} → {field}: {messages!.ToJsonString()}");
                }
        }
        output.WriteLine($"{answers.Sent} malformed queries");
        answers.AssertNone(atLeast: 300);
        Assert.True(unclear.Count == 0, $"{unclear.Count} refusals in the framework's words:\n" + string.Join("\n", unclear.Take(40)));
    }

    /// <summary>
    /// A query parameter an operation does not take (?nosuch=1 beside the ones it requires, as a client that misnames one sends it:
    /// "cursor" for the claims' "before") is refused, 400 naming it, and the answer lists the parameters the operation takes: it
    /// was ignored, and a client paging with the wrong name read the first page again and again. Every operation, reads and
    /// writes: never a 200, and nothing written.
    /// </summary>
    [Fact]
    public async Task QueryParameterNotTaken_IsRefusedNamingIt_ByEveryOperation()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var answers = new HostileAnswers(Db);
        var wrong = new List<string>();
        foreach (var op in api.Operations.Where(o => !Anonymous.Contains(o.Key)))
        {
            var role = Allowed[op.Key].FirstOrDefault() ?? A;
            var path = records.Fill(op.Path, "own", role);
            var given = op.Query.Where(q => q.Required).ToDictionary(q => q.Name, q => Plausible(api, q.Name, api.Resolve(q.Schema), records)?.ToString() ?? "");
            given["nosuch"] = "1";
            var url = path + "?" + string.Join("&", given.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));
            var answer = await answers.SendAsync($"{op.Key} ?nosuch=1", () => OpenApi.SendAsync(records.Users[role], op, url));
            var problem = answer.ContentType == "application/problem+json" ? answer.Json as JsonObject : null;
            var detail = problem?["detail"]?.ToString() ?? "";
            if (answer.Status != System.Net.HttpStatusCode.BadRequest || problem?["errors"]?["nosuch"] is null
                || !op.Query.All(q => detail.Contains(q.Name, StringComparison.Ordinal)))
                wrong.Add($"{op.Key} ?nosuch=1 → {(int)answer.Status} {HostileAnswers.Clip(answer.Body, 300)}");
        }
        Assert.Contains("A query parameter an operation does not list here is refused", api.Document["info"]!["description"]!.ToString());
        output.WriteLine($"{answers.Sent} requests with a query parameter not taken");
        answers.AssertNone(atLeast: 90);
        Assert.True(wrong.Count == 0, $"{wrong.Count} not refused 400 naming nosuch and listing what the operation takes:\n" + string.Join("\n", wrong));
    }

    /// <summary>
    /// A query parameter given twice (?limit=1&amp;limit=2, ?programmeId=1&amp;programmeId=2) is refused, 400 naming it: the first
    /// value was read and the other dropped without a word, where the document says a parameter is refused, never ignored.
    /// Every operation that takes one, each of its parameters that is not a list, reads and writes: never a 200, nothing written.
    /// </summary>
    [Fact]
    public async Task QueryParameterGivenTwice_IsRefusedNamingIt_ByEveryOperation()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        var api = await OpenApi.ReadAsync(Db);
        var answers = new HostileAnswers(Db);
        var wrong = new List<string>();
        foreach (var op in api.Operations.Where(o => !Anonymous.Contains(o.Key)))
            foreach (var twice in op.Query.Where(q => !OpenApi.Types(api.Resolve(q.Schema)).Contains("array")))
            {
                var role = Allowed[op.Key].FirstOrDefault() ?? A;
                var path = records.Fill(op.Path, "own", role);
                var given = op.Query.Where(q => q.Required || q == twice)
                    .Select(q => (q.Name, Value: Plausible(api, q.Name, api.Resolve(q.Schema), records)?.ToString() ?? "")).ToList();
                given.Add(given.Single(q => q.Name == twice.Name));
                var url = path + "?" + string.Join("&", given.Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(q.Value)}"));
                var answer = await answers.SendAsync($"{op.Key} ?{twice.Name} twice", () => OpenApi.SendAsync(records.Users[role], op, url));
                var problem = answer.ContentType == "application/problem+json" ? answer.Json as JsonObject : null;
                if (answer.Status != System.Net.HttpStatusCode.BadRequest || problem?["errors"]?[twice.Name] is null)
                    wrong.Add($"{op.Key} ?{twice.Name} twice → {(int)answer.Status} {HostileAnswers.Clip(answer.Body, 300)}");
            }
        output.WriteLine($"{answers.Sent} requests with a query parameter given twice");
        answers.AssertNone(atLeast: 90);
        Assert.True(wrong.Count == 0, $"{wrong.Count} not refused 400 naming the parameter given twice:\n" + string.Join("\n", wrong));
    }

    /// <summary>The malformed bodies for one operation: each derived from a plausible body by one change.</summary>
    private static IEnumerable<string> Bodies(OpenApi api, ApiOperation op, ScopedRecords records)
    {
        yield return "{";
        yield return "null";
        yield return "[]";
        yield return "\"text\"";
        yield return new string('[', 5000) + new string(']', 5000);
        yield return "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 201);
        yield return "{}";

        var schema = api.Resolve(op.JsonSchema);
        if (schema?["properties"] is not JsonObject properties) yield break;
        var plausible = new JsonObject();
        foreach (var (name, p) in properties) plausible[name] = Plausible(api, name, api.Resolve(p), records);
        yield return Extra(plausible);
        foreach (var (name, p) in properties)
        {
            var property = api.Resolve(p);
            var types = OpenApi.Types(property);
            foreach (var wrong in WrongScalars.Where(v => !Fits(v, types)))
                yield return With(plausible, name, wrong?.DeepClone());
            yield return Without(plausible, name);
            if (types.Contains("string"))
            {
                var values = property?["pattern"] is not null || name.Contains("amount", StringComparison.OrdinalIgnoreCase) ? Amounts : OddStrings;
                foreach (var v in values) yield return With(plausible, name, JsonValue.Create(v));
            }
            if (types.Contains("integer"))
                foreach (var v in new[] { "-1", "0", "9223372036854775808", "1.5", "1e400" })
                    yield return ReplaceRaw(plausible, name, v);
            if (types.Contains("array"))
            {
                yield return With(plausible, name, new JsonArray(Enumerable.Range(0, 3).Select(_ => (JsonNode?)JsonValue.Create("x")).ToArray()));
                yield return With(plausible, name, new JsonArray(Enumerable.Range(0, 3).Select(_ => (JsonNode?)new JsonObject { ["amount"] = "1.234" }).ToArray()));
            }
        }
    }

    private static bool Fits(JsonNode? value, IReadOnlyList<string> types) => value switch
    {
        null => types.Contains("null"),
        JsonArray => types.Contains("array"),
        JsonObject => types.Contains("object"),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => types.Contains("string"),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => types.Contains("boolean"),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => types.Contains("number") || (types.Contains("integer") && v.ToJsonString() == "-1"),
        _ => false,
    };

    private static JsonNode? Plausible(OpenApi api, string name, JsonNode? schema, ScopedRecords records)
    {
        var types = OpenApi.Types(schema);
        if (records.Own.TryGetValue(name, out var id)) return id;
        if (name == "programmeYearId") return records.Own["yearId"];
        if (types.Contains("integer")) return 1;
        if (types.Contains("number")) return 1;
        if (types.Contains("boolean")) return true;
        if (types.Contains("array")) return new JsonArray();
        if (types.Contains("object")) return new JsonObject();
        if (schema?["pattern"] is not null) return "1.00";
        if (schema?["format"]?.GetValue<string>() == "date" || name.EndsWith("On", StringComparison.Ordinal) || name.EndsWith("Date", StringComparison.Ordinal))
            return "2026-10-05";
        return "fuzz";
    }

    private static string With(JsonObject body, string name, JsonNode? value)
    {
        var copy = body.DeepClone().AsObject();
        copy[name] = value;
        return copy.ToJsonString();
    }

    private static string Without(JsonObject body, string name)
    {
        var copy = body.DeepClone().AsObject();
        copy.Remove(name);
        return copy.ToJsonString();
    }

    private static string Extra(JsonObject body)
    {
        var copy = body.DeepClone().AsObject();
        copy["unexpectedField"] = "surprise";
        copy["__proto__"] = new JsonObject { ["admin"] = true };
        return copy.ToJsonString();
    }

    /// <summary>A number as raw JSON text, for values no .NET number holds (2^63, 1e400).</summary>
    private static string ReplaceRaw(JsonObject body, string name, string raw)
    {
        const string marker = "\"__raw__\"";
        var copy = body.DeepClone().AsObject();
        copy[name] = "__raw__";
        return new StringBuilder(copy.ToJsonString()).Replace(marker, raw).ToString();
    }
}
