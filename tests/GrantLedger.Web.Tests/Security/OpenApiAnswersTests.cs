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
}
