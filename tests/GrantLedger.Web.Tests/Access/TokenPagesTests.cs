using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Access;

/// <summary>
/// API tokens on the pages: a programme admin's view of a user's tokens (/admin/users/{id}) with Revoke, the user's own
/// (/account/tokens), and the admin's API for the same (GET/DELETE /api/v1/users/{id}/tokens): one revocation behind them all.
/// </summary>
public sealed class TokenPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private Task<HttpClient> PageAsync(string userName) => PageFormFuzzTests.SignedInPageAsync(Db.Factory, userName);

    private ApiClient WithToken(string secret) => new(Db.Factory.CreateClient(), secret, 0, "");

    private static List<string[]> TokenRows(string html) => Rows(Table(html, "tokens")).Select(Cells).ToList();

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient page, string url, string? formAt = null) =>
        await page.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(formAt ?? url)),
        }));

    /// <summary>A token the user asks for (POST /me/tokens): its id and secret.</summary>
    private static async Task<(long Id, string Secret)> IssueAsync(ApiClient user, string name)
    {
        var json = (await user.PostAsync("/api/v1/me/tokens", new { name, days = 30 })).Expect(HttpStatusCode.Created).Json;
        return (json["id"]!.GetValue<long>(), json["token"]!.GetValue<string>());
    }

    private Task<long> TestTokenOf(ApiClient user) => Db.ScalarAsync("SELECT min(id) FROM api_token WHERE user_id = $1", user.UserId);

    private Task<long> RevocationsAsync(long tokenId, long byUserId) =>
        Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'token.revoked' AND record_type = 'api_token' AND record_id = $1 AND user_id = $2",
            tokenId, byUserId);

    [Fact]
    public async Task Admin_SeesAUsersTokensWithTheirStatus_AndRevokingOneFromThePage_StopsItAtOnce_AndIsAudited()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        var test = await TestTokenOf(school);
        var (script, secret) = await IssueAsync(school, "nightly export");
        var (old, _) = await IssueAsync(school, "old script");
        var (gone, _) = await IssueAsync(school, "laptop");
        await Db.DataSource.ExecuteAsync("UPDATE api_token SET created_at = now() - interval '40 days', expires_at = now() - interval '10 days' WHERE id = $1", old);
        (await school.DeleteAsync($"/api/v1/me/tokens/{gone}")).Expect(HttpStatusCode.NoContent);
        (await WithToken(secret).GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // used: its last use is shown
        using var page = await PageAsync(admin.UserName);

        var html = await Read(page, $"/admin/users/{school.UserId}");
        Assert.Contains("sbm-tp-1's API tokens, oldest first</caption>", html);
        var rows = TokenRows(html);
        var api = (await admin.GetAsync($"/api/v1/users/{school.UserId}/tokens")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(api.Select(t => t!["name"]!.GetValue<string>()).ToArray(), rows.Select(r => r[0]).ToArray());
        Assert.Equal(["test", "nightly export", "old script", "laptop"], rows.Select(r => r[0]).ToArray());
        Assert.Equal(["Active", "Active", "Expired"], rows.Take(3).Select(r => r[5]).ToArray());
        Assert.Matches(@"^Revoked on \d{1,2} \w{3} \d{4} \d\d:\d\d$", rows[3][5]);
        Assert.Equal(secret[..10] + "…", rows[1][1]);
        Assert.Equal("Never", rows[3][4]);
        Assert.Matches(@"^\d{1,2} \w{3} \d{4} \d\d:\d\d$", rows[1][4]);
        // a Revoke link for each active token only
        Assert.StartsWith("Revoke", rows[0][6]);
        Assert.StartsWith("Revoke", rows[1][6]);
        Assert.Equal(["", ""], rows.Skip(2).Select(r => r[6]).ToArray());
        Assert.Contains($"href=\"/admin/users/{school.UserId}/tokens/{script}/revoke\"", html);
        Assert.DoesNotContain($"/tokens/{old}/revoke", html);

        var confirm = await Read(page, $"/admin/users/{school.UserId}/tokens/{script}/revoke");
        Assert.Contains("Revoke the API token nightly export?", confirm);
        Assert.Contains("The token stops working at once, for any script or program that uses it", confirm);
        Assert.Contains("This cannot be undone.", confirm);
        using (var revoked = await PostFormAsync(page, $"/admin/users/{school.UserId}/tokens/{script}/revoke"))
            Assert.Equal($"/admin/users/{school.UserId}", revoked.Headers.Location?.OriginalString);
        var after = await Read(page, $"/admin/users/{school.UserId}");
        Assert.Contains($"sbm-tp-1's token nightly export ({secret[..10]}…) is revoked: it no longer works", after);
        Assert.StartsWith("Revoked on ", TokenRows(after)[1][5]);

        // at once, and by the admin in the audit trail; the user's other token still works
        (await WithToken(secret).GetAsync("/api/v1/me")).Expect(HttpStatusCode.Unauthorized);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, await RevocationsAsync(script, admin.UserId));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'token.revoked' AND record_id = $1 AND programme_id = $2",
            script, s.ProgrammeId));
        // revoked, its page says so and offers no form; posted again (another tab), nothing more is written
        var again = await Read(page, $"/admin/users/{school.UserId}/tokens/{script}/revoke");
        Assert.Contains("This token was revoked on ", again);
        Assert.DoesNotContain("id=\"confirm\"", again);
        using (var twice = await PostFormAsync(page, $"/admin/users/{school.UserId}/tokens/{script}/revoke", formAt: $"/admin/users/{school.UserId}/tokens/{test}/revoke"))
            Assert.Equal(HttpStatusCode.OK, twice.StatusCode);
        Assert.Equal(1, await RevocationsAsync(script, admin.UserId));

        // the admin's API revokes the same way
        (await admin.DeleteAsync($"/api/v1/users/{school.UserId}/tokens/{test}")).Expect(HttpStatusCode.NoContent);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.Unauthorized);
        Assert.Equal(1, await RevocationsAsync(test, admin.UserId));
    }

    [Fact]
    public async Task AnotherProgrammesUserOrToken_IsNotFound_FromThePagesAndTheApi_AndNothingIsRevoked()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        var b = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: s.Root);
        var outsider = await b.SchoolUserAsync(Db);
        var (theirs, ours) = (await TestTokenOf(outsider), await TestTokenOf(school));
        using var page = await PageAsync(admin.UserName);
        var events = await Db.ScalarAsync("SELECT count(*) FROM audit_event");

        foreach (var url in new[] { $"/admin/users/{outsider.UserId}/tokens/{theirs}/revoke", $"/admin/users/{school.UserId}/tokens/{theirs}/revoke" })
        {
            using (var shown = await page.GetAsync(url)) Assert.Equal("/forbidden?missing=1", shown.Headers.Location?.OriginalString);
            using (var posted = await PostFormAsync(page, url, formAt: $"/admin/users/{school.UserId}/tokens/{ours}/revoke"))
                Assert.Equal("/forbidden?missing=1", posted.Headers.Location?.OriginalString);
        }
        (await admin.GetAsync($"/api/v1/users/{outsider.UserId}/tokens")).Expect(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/api/v1/users/{outsider.UserId}/tokens/{theirs}")).Expect(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/api/v1/users/{school.UserId}/tokens/{theirs}")).Expect(HttpStatusCode.NotFound); // not this user's
        (await admin.DeleteAsync($"/api/v1/users/{outsider.UserId}/tokens/{ours}")).Expect(HttpStatusCode.NotFound);
        (await school.DeleteAsync($"/api/v1/me/tokens/{theirs}")).Expect(HttpStatusCode.NotFound);

        Assert.Equal(events, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM api_token WHERE revoked_at IS NOT NULL"));
        (await outsider.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// The admin's own tokens are theirs to revoke as everyone does, on /account/tokens: their user page lists them without a
    /// Revoke link and leads there, as it does for their password; the admin's API refuses (409 own-token) as a reset of their
    /// own password is refused.
    /// </summary>
    [Fact]
    public async Task AdminsOwnTokens_AreRevokedOnTheirOwnPage_NotAsAnAdmin()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var own = await TestTokenOf(admin);
        using var page = await PageAsync(admin.UserName);

        var html = await Read(page, $"/admin/users/{admin.UserId}");
        Assert.Equal("Active", TokenRows(html)[0][5]);
        Assert.DoesNotContain("/revoke\"", html);
        Assert.Contains("revoke your tokens on <a class=\"govuk-link\" href=\"/account/tokens\">your API tokens</a>", html);
        var confirm = await Read(page, $"/admin/users/{admin.UserId}/tokens/{own}/revoke");
        Assert.Contains($"href=\"/account/tokens/{own}/revoke\"", confirm);
        Assert.DoesNotContain("id=\"confirm\"", confirm);
        var (_, refused) = await PageForms.PostAsync(page, $"/admin/users/{admin.UserId}/tokens/{own}/revoke", new());
        Assert.Equal(["This is your own token: revoke it on your API tokens page"], PageForms.SummaryItems(refused));
        (await admin.DeleteAsync($"/api/v1/users/{admin.UserId}/tokens/{own}")).ExpectProblem(HttpStatusCode.Conflict, rule: "own-token");
        (await admin.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, await RevocationsAsync(own, admin.UserId));
    }

    [Fact]
    public async Task UsersOwnPage_ListsOnlyTheirTokens_LinkedFromEveryPage_AndRevokingOneStopsItAtOnce()
    {
        var s = await Scenario.CreateAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        var other = await s.SchoolUserAsync(Db, 2);
        var (script, secret) = await IssueAsync(school, "nightly export");
        var others = await TestTokenOf(other);
        using var page = await PageAsync(school.UserName);

        Assert.Contains("href=\"/account/tokens\">Your API tokens</a>", await Read(page, "/school"));
        Assert.Contains("href=\"/account/tokens\">Your API tokens</a>", await Read(page, "/account/password"));
        var html = await Read(page, "/account/tokens");
        Assert.Contains("Your API tokens, oldest first</caption>", html);
        var mine = (await school.GetAsync("/api/v1/me/tokens")).Expect(HttpStatusCode.OK).Json.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(mine, TokenRows(html).Select(r => r[0]).ToArray());
        Assert.Equal(["test", "nightly export"], mine);
        Assert.Contains($"href=\"/account/tokens/{script}/revoke\"", html);
        using (var theirs = await page.GetAsync($"/account/tokens/{others}/revoke"))
            Assert.Equal("/forbidden?missing=1", theirs.Headers.Location?.OriginalString);

        Assert.Contains("This cannot be undone.", await Read(page, $"/account/tokens/{script}/revoke"));
        using (var revoked = await PostFormAsync(page, $"/account/tokens/{script}/revoke"))
            Assert.Equal("/account/tokens", revoked.Headers.Location?.OriginalString);
        var after = await Read(page, "/account/tokens");
        Assert.Contains($"Your token nightly export ({secret[..10]}…) is revoked: it no longer works", after);
        Assert.StartsWith("Revoked on ", TokenRows(after)[1][5]);
        (await WithToken(secret).GetAsync("/api/v1/me")).Expect(HttpStatusCode.Unauthorized);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        (await other.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, await RevocationsAsync(script, school.UserId));
    }

    /// <summary>An auditor writes nothing, their tokens included (DELETE /me/tokens is for writers): the page lists theirs and says so.</summary>
    [Fact]
    public async Task Auditor_SeesTheirOwnTokens_ButRevokesNone_AsTheApiAllows()
    {
        var s = await Scenario.CreateAsync(Db);
        var auditor = await s.AuditorAsync(Db);
        var token = await TestTokenOf(auditor);
        using var page = await PageAsync(auditor.UserName);

        var html = await Read(page, "/account/tokens");
        Assert.Equal([["test", TokenRows(html)[0][1], TokenRows(html)[0][2], TokenRows(html)[0][3], "Never", "Active"]], TokenRows(html));
        Assert.DoesNotContain("/revoke\"", html);
        Assert.Contains("you cannot issue or revoke them here or through the API", html);
        Assert.DoesNotContain("/account/tokens/new", html);
        using (var issue = await page.GetAsync("/account/tokens/new"))
            Assert.Equal("/forbidden", issue.Headers.Location!.AbsolutePath);
        using (var revoke = await page.GetAsync($"/account/tokens/{token}/revoke"))
            Assert.Equal("/forbidden", revoke.Headers.Location!.AbsolutePath);
        (await auditor.DeleteAsync($"/api/v1/me/tokens/{token}")).Expect(HttpStatusCode.Forbidden);
        (await auditor.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    /// <summary>Issued from the page by the API's use case: the same rules, named on the form, and the token shown once, not stored.</summary>
    [Fact]
    public async Task IssuingATokenFromThePage_ShowsItOnceNotStored_AndItWorks_AndTheApisRulesAreNamedOnTheForm()
    {
        var s = await Scenario.CreateAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        using var page = await PageAsync(school.UserName);
        Assert.Contains("href=\"/account/tokens/new\"", await Read(page, "/account/tokens"));
        var tokens = await Db.ScalarAsync("SELECT count(*) FROM api_token");

        var (problems, html) = await PageForms.PostAsync(page, "/account/tokens/new", new() { ["name"] = "", ["days"] = "400" });
        Assert.Equal([("name", "Enter a name for the token, like the script that will use it"), ("days", "The number of days it works for must be between 1 and 365")], problems);
        Assert.Contains("value=\"400\"", html);
        (problems, _) = await PageForms.PostAsync(page, "/account/tokens/new", new() { ["name"] = "export", ["days"] = "a week" });
        Assert.Equal([("days", "The number of days it works for must be a whole number from 1 to 365, like 30")], problems);
        Assert.Equal(tokens, await Db.ScalarAsync("SELECT count(*) FROM api_token"));

        var form = new Dictionary<string, string> { ["name"] = "nightly export", ["days"] = "7" };
        form[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync("/account/tokens/new"));
        using var answer = await page.PostAsync("/account/tokens/new", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode); // shown in the post's own answer, not by a redirect carrying it
        Assert.True(answer.Headers.CacheControl?.NoStore, $"Cache-Control: {answer.Headers.CacheControl}");
        var secret = Regex.Match(await answer.Content.ReadAsStringAsync(), "id=\"token-secret\">(glt_[A-Za-z0-9_-]{43})</code>").Groups[1].Value;
        Assert.NotEmpty(secret);
        (await WithToken(secret).GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        var row = TokenRows(await Read(page, "/account/tokens")).Single(r => r[0] == "nightly export");
        Assert.Equal("Active", row[5]);
        Assert.DoesNotContain(secret, await page.GetStringAsync("/account/tokens"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'token.issued' AND user_id = $1 AND details->>'name' = 'nightly export'", school.UserId));
        Assert.Equal(7, await Db.ScalarAsync("SELECT round(extract(epoch FROM expires_at - created_at) / 86400)::bigint FROM api_token WHERE name = 'nightly export'"));
    }

    [Fact]
    public async Task AUserWithNoTokens_IsToldWhatATokenIs()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        await Db.DataSource.ExecuteAsync("DELETE FROM api_token WHERE user_id = $1", school.UserId);
        using var page = await PageAsync(admin.UserName);
        var html = await Read(page, $"/admin/users/{school.UserId}");
        Assert.Contains("sbm-tp-1 has no API tokens. A token lets a script or another program use the service's API", html);
        Assert.DoesNotContain("id=\"tokens\"", html);
    }
}
