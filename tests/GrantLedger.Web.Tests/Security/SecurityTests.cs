using System.Net;
using System.Text;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace GrantLedger.Web.Tests.Security;

public sealed class SecurityTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Theory]
    [InlineData("/api/v1/programmes")]   // 401 without a token
    [InlineData("/health/live")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task EveryAnswer_CarriesTheSecurityHeaders(string path)
    {
        using var response = await Db.Factory.CreateClient().GetAsync(path);
        var h = response.Headers;
        Assert.Equal("nosniff", h.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", h.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", h.GetValues("Referrer-Policy").Single());
        var csp = h.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.False(h.Contains("Server"));
        Assert.True(h.CacheControl?.NoStore);
    }

    [Fact]
    public async Task ABodyLargerThanTheEndpointTakes_Is413_AndWritesNothing()
    {
        var admin = await Db.UserAsync("big-admin", Roles.ProgrammeAdmin);
        var name = new string('x', 1_100_000);
        var answer = await admin.PostAsync("/api/v1/programmes", new { code = "big", name, funder = "f" });
        var problem = answer.ExpectProblem(HttpStatusCode.RequestEntityTooLarge, rule: "request-too-large").Json;
        Assert.Contains("at most 1,000,000", problem["detail"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme"));
    }

    [Fact]
    public async Task SignIn_IsRateLimitedPerAddress_WithA429ProblemAndRetryAfter()
    {
        await Db.UserAsync("limited", Roles.Auditor);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting("GrantLedger:SignInsPerMinute", "3"));
        using var http = factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited", password = "wrong" }));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited", password = DatabaseFixture.Password }));
        var answer = await Answer.ReadAsync(limited);
        answer.ExpectProblem(HttpStatusCode.TooManyRequests, rule: "rate-limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
        // The refused attempt issued nothing.
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE u.user_name = 'limited'"));
    }

    private static StringContent Body(object value) =>
        new(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
