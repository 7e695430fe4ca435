using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace GrantLedger.Web.Tests.Access;

/// <summary>
/// The password a programme admin gives is a one-time password: its user can do nothing with it but choose their own, so
/// that an admin who made two finance users cannot build a payment run as one and approve it as the other.
/// </summary>
public sealed class OneTimePasswordTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string OneTime = DatabaseFixture.OneTimePassword;
    private const string Chosen = "a-password-only-i-know";
    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    private ApiClient Anonymous(WebApplicationFactory<Program>? factory = null) => new((factory ?? Db.Factory).CreateClient(), null, 0, "");

    [Fact]
    public async Task AFinanceUserAnAdminMade_GetsNoTokenAndNoPage_UntilTheyChooseTheirOwnPassword_ThenApprovesTheRun()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await using var fromOutside = ClientAt.Service(Db, "203.0.113.9");
        var anonymous = Anonymous(fromOutside);
        var maker = await Db.UserMadeByAsync(w.Admin, "maker", "funder_finance", w.S.ProgrammeId);
        var claim = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/approve", null)).Expect(HttpStatusCode.OK);
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;

        // the admin makes the checker, and knows the password they gave
        var created = (await w.Admin.PostAsync("/api/v1/users", new
        {
            userName = "checker", displayName = "Checker", password = OneTime, role = "funder_finance", programmeId = w.S.ProgrammeId,
        })).Expect(HttpStatusCode.Created).Json;
        var checkerId = created["id"]!.GetValue<long>();
        Assert.True(created["mustChoosePassword"]?.GetValue<bool>(), created.ToJsonString());
        var refused = (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = OneTime }))
            .ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required").Json;
        Assert.EndsWith("/password-change-required", refused["type"]!.GetValue<string>());
        Assert.Contains("POST /api/v1/auth/password", refused["detail"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM api_token WHERE user_id = $1", checkerId));
        // an auditor sees that the one-time password was used for a token
        Assert.Equal(1, await Db.ScalarAsync(
            "SELECT count(*) FROM audit_event WHERE action = 'sign-in.refused' AND record_id = $1 AND details->>'reason' = 'password-change-required'",
            checkerId));

        // pages: signing in leads to choosing a password, and so does every other page; the API refuses the session
        using var page = fromOutside.CreateClient(NoRedirects);
        using (var signedIn = await PageFormFuzzTests.PostSignInAsync(page, "checker", OneTime))
            Assert.StartsWith("/account/password", Location(signedIn));
        foreach (var elsewhere in new[] { "/finance", $"/finance/runs/{run}", "/", "/ledger" })
        {
            using var sent = await page.GetAsync(elsewhere);
            Assert.True(sent.StatusCode == HttpStatusCode.Redirect, $"{elsewhere}: {sent.StatusCode}");
            Assert.StartsWith("/account/password", Location(sent));
        }
        using (var api = await page.GetAsync($"/api/v1/payment-runs/{run}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
            Assert.Equal("password-change-required", JsonNode.Parse(await api.Content.ReadAsStringAsync())!["rule"]!.GetValue<string>());
        }
        var choose = await page.GetStringAsync("/account/password?returnUrl=%2Ffinance");
        Assert.Contains("<h1 class=\"govuk-heading-l\">Choose your password</h1>", choose);
        Assert.DoesNotContain("href=\"/finance\"", choose); // nowhere to go but here

        using (var chosen = await ChooseAsync(page, choose, OneTime, Chosen, Chosen))
            Assert.Equal("/finance", Location(chosen)); // on to where they were going
        using (var finance = await page.GetAsync("/finance")) Assert.Equal(HttpStatusCode.OK, finance.StatusCode);

        // the one-time password no longer signs anyone in; the chosen one does, and the checker approves the maker's run
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = OneTime })).ExpectProblem(HttpStatusCode.Unauthorized);
        using (var again = await PageFormFuzzTests.PostSignInAsync(fromOutside.CreateClient(NoRedirects), "checker", OneTime))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode); // the sign-in page again, with its error
        var token = (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = Chosen })).Expect(HttpStatusCode.Created)
            .Json["token"]!.GetValue<string>();
        var checker = new ApiClient(Db.Factory.CreateClient(), token, checkerId, "checker");
        (await checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);

        // the auditor sees who made the checker with a one-time password, the sign-in with it, and that the checker chose
        // their own, from where; never a password
        var auditor = await w.S.AuditorAsync(Db);
        var events = (await auditor.GetAsync("/api/v1/audit/events?recordType=app_user&limit=1000")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        JsonNode One(string action) => events.Single(e => e!["action"]!.GetValue<string>() == action && e["recordId"]?.GetValue<long>() == checkerId)!;
        var made = One("user.created");
        Assert.Equal((w.Admin.UserId, true), (made["userId"]!.GetValue<long>(), made["details"]!["mustChoosePassword"]!.GetValue<bool>()));
        Assert.True(events.Single(e => e!["action"]!.GetValue<string>() == "sign-in.succeeded" && e["userId"]!.GetValue<long>() == checkerId
                                       && e["details"]!["oneTimePassword"]?.GetValue<bool>() == true)!["clientAddress"]!.GetValue<string>() == "203.0.113.9");
        var own = One("user.password-chosen");
        Assert.Equal((checkerId, "funder_finance", "203.0.113.9", "web"),
            (own["userId"]!.GetValue<long>(), own["role"]!.GetValue<string>(), own["clientAddress"]!.GetValue<string>(), own["details"]!["via"]!.GetValue<string>()));
        await NoPasswordInTheTrailAsync(OneTime, Chosen);
    }

    [Fact]
    public async Task AResetByTheAdmin_EndsTheUsersSessionsAndTokens_AndTheyChooseAgain()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var user = await Db.UserMadeByAsync(w.Admin, "checker", "funder_finance", w.S.ProgrammeId);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, "checker");
        using (var finance = await page.GetAsync("/finance")) Assert.Equal(HttpStatusCode.OK, finance.StatusCode);
        (await user.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);

        const string again = "another-one-time-password";
        (await w.Admin.PostAsync($"/api/v1/users/{user.UserId}/password-reset", new { password = "too-short" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "password");
        var reset = (await w.Admin.PostAsync($"/api/v1/users/{user.UserId}/password-reset", new { password = again })).Expect(HttpStatusCode.OK).Json;
        Assert.True(reset["mustChoosePassword"]!.GetValue<bool>());

        Assert.Contains("revoked", (await user.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized).Json["detail"]!.GetValue<string>());
        using (var ended = await page.GetAsync("/finance")) Assert.StartsWith("/sign-in", Location(ended));
        var anonymous = Anonymous();
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = DatabaseFixture.Password })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = again }))
            .ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");

        var resetEvent = (await (await w.S.AuditorAsync(Db)).GetAsync("/api/v1/audit/events?action=user.password-reset")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray().Single()!;
        Assert.Equal((w.Admin.UserId, user.UserId, 1), (resetEvent["userId"]!.GetValue<long>(), resetEvent["recordId"]!.GetValue<long>(),
            resetEvent["details"]!["tokensRevoked"]!.GetValue<int>()));
        await NoPasswordInTheTrailAsync(again, DatabaseFixture.Password);

        // the user chooses again; an admin resets no password of their own (they change it as anyone does)
        (await anonymous.PostAsync("/api/v1/auth/password", new { userName = "checker", currentPassword = again, newPassword = Chosen })).Expect(HttpStatusCode.NoContent);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = Chosen })).Expect(HttpStatusCode.Created);
        (await w.Admin.PostAsync($"/api/v1/users/{w.Admin.UserId}/password-reset", new { password = again }))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "cannot-reset-own-password");
    }

    [Fact]
    public async Task ABadNewPassword_IsRefusedNamingTheField_AndTheOneTimePasswordStillOnlyChooses()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        (await admin.PostAsync("/api/v1/users", new { userName = "x", displayName = "X", password = OneTime, role = "funder_finance", programmeId = s.ProgrammeId }))
            .Expect(HttpStatusCode.Created);
        var anonymous = Anonymous();
        Task<Answer> ChooseByApiAsync(string? userName, string? current, string? next) =>
            anonymous.PostAsync("/api/v1/auth/password", new { userName, currentPassword = current, newPassword = next });
        (await ChooseByApiAsync("x", OneTime, "too-short")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        (await ChooseByApiAsync("x", OneTime, OneTime)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        (await ChooseByApiAsync("x", OneTime, new string('x', 129))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        (await ChooseByApiAsync("x", OneTime, null)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        // spaces alone: a form reads them as blank, so such a password would only ever work through the API
        (await ChooseByApiAsync("x", OneTime, new string(' ', 14))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        (await admin.PostAsync("/api/v1/users", new { userName = "y", displayName = "Y", password = new string(' ', 14), role = "funder_finance", programmeId = s.ProgrammeId }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "password");
        (await ChooseByApiAsync(null, OneTime, Chosen)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "userName");
        (await ChooseByApiAsync("x", "not-the-one-time-password", Chosen)).ExpectProblem(HttpStatusCode.Unauthorized, "currentPassword");

        // the page: too short, the same as the one-time password, a confirmation that differs; nothing typed comes back
        using var page = Db.Factory.CreateClient(NoRedirects);
        await PageFormFuzzTests.SignInAsync(page, "x", OneTime);
        foreach (var (next, confirm, field, message) in new[]
                 {
                     ("too-short", "too-short", "newPassword", "Your new password must be at least 12 characters"),
                     (OneTime, OneTime, "newPassword", "Your new password must be different from your one-time password"),
                     (Chosen, Chosen + "!", "confirmPassword", "The passwords you entered do not match"),
                 })
        {
            using var refused = await ChooseAsync(page, await page.GetStringAsync("/account/password"), OneTime, next, confirm);
            var html = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.OK, $"{next}: {refused.StatusCode} {Location(refused)}");
            Assert.Contains($"<a href=\"#{field}\">{message}</a>", html); // the error summary, linked to the field
            Assert.Contains($"id=\"{field}-error\"", html);
            Assert.DoesNotContain(next, html);
            Assert.DoesNotContain(OneTime, html);
        }
        // a short password whose confirmation differs: both problems at once
        using (var both = await ChooseAsync(page, await page.GetStringAsync("/account/password"), OneTime, "too-short", "too-short2"))
        {
            var html = await both.Content.ReadAsStringAsync();
            Assert.Contains("<a href=\"#newPassword\">Your new password must be at least 12 characters</a>", html);
            Assert.Contains("<a href=\"#confirmPassword\">The passwords you entered do not match</a>", html);
        }
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "x", password = OneTime })).ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");
        using (var still = await page.GetAsync("/finance")) Assert.StartsWith("/account/password", Location(still));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action LIKE 'user.password-%'"));
    }

    [Fact]
    public async Task EveryUser_ChangesTheirOwnPassword_SayingTheCurrentOne_ThroughTheApiOrThePage()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db); // an auditor writes nothing of the ledger, but their password is their own
        (await auditor.PostAsync("/api/v1/me/password", new { currentPassword = "not-my-password", newPassword = Chosen }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "currentPassword");
        (await auditor.PostAsync("/api/v1/me/password", new { currentPassword = DatabaseFixture.Password, newPassword = DatabaseFixture.Password }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "newPassword");
        (await auditor.PostAsync("/api/v1/me/password", new { currentPassword = DatabaseFixture.Password, newPassword = Chosen })).Expect(HttpStatusCode.NoContent);
        var anonymous = Anonymous();
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = auditor.UserName, password = DatabaseFixture.Password })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = auditor.UserName, password = Chosen })).Expect(HttpStatusCode.Created);
        (await auditor.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // the tokens stay

        // every page links to the page that changes it
        var finance = await s.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        Assert.Contains("href=\"/account/password\"", await page.GetStringAsync("/finance"));
        var form = await page.GetStringAsync("/account/password");
        Assert.Contains("<h1 class=\"govuk-heading-l\">Change your password</h1>", form);
        using (var changed = await ChooseAsync(page, form, DatabaseFixture.Password, Chosen, Chosen))
            Assert.Equal("/account/password?changed=true", Location(changed));
        Assert.Contains("Your password has been changed", await page.GetStringAsync("/account/password?changed=true"));
        using (var still = await page.GetAsync("/finance")) Assert.Equal(HttpStatusCode.OK, still.StatusCode); // this session goes on

        var changes = await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.password-changed' AND user_id IN ($1, $2)", auditor.UserId, finance.UserId);
        Assert.Equal(2, changes);
        await NoPasswordInTheTrailAsync(Chosen, DatabaseFixture.Password);
    }

    /// <summary>
    /// A page whose form is wrong still runs its use case, rolled back, to show every problem at once; the password page
    /// must not: there a wrong current password would be told (and not counted towards the lockout, its count rolled
    /// back) as long as the confirmation differs, so anyone at a signed-in screen could guess it freely.
    /// </summary>
    [Fact]
    public async Task ThePasswordPage_SaysNothingOfTheCurrentPasswordUntilTheFormIsRight_AndCountsEveryWrongOne()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var finance = await s.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        async Task<string> RefusedAsync(string current, string confirm)
        {
            using var answer = await ChooseAsync(page, await page.GetStringAsync("/account/password"), current, Chosen, confirm);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = await answer.Content.ReadAsStringAsync();
            return string.Join("|", System.Text.RegularExpressions.Regex.Matches(html, "<a href=\"#(\\w+)\">").Select(m => m.Groups[1].Value));
        }

        Assert.Equal("confirmPassword", await RefusedAsync("not-my-password", Chosen + "!"));
        Assert.Equal("confirmPassword", await RefusedAsync(DatabaseFixture.Password, Chosen + "!"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT access_failed_count FROM app_user WHERE id = $1", finance.UserId));

        Assert.Equal("currentPassword", await RefusedAsync("not-my-password", Chosen));
        Assert.Equal(1, await Db.ScalarAsync("SELECT access_failed_count FROM app_user WHERE id = $1", finance.UserId));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.failed' AND record_id = $1", finance.UserId));
    }

    /// <summary>Migration 0064: whoever writes (a script, a second instance), a user who must choose holds no live token.</summary>
    [Fact]
    public async Task TheDatabase_HoldsNoLiveTokenForAUserWhoMustChooseTheirPassword_WhoeverWrites()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var x = (await admin.PostAsync("/api/v1/users", new { userName = "x", displayName = "X", password = OneTime, role = "funder_finance", programmeId = s.ProgrammeId }))
            .Expect(HttpStatusCode.Created).Id;
        async Task RefusedAsync(string sql, params object[] args) =>
            Assert.Equal("GL012", (await Assert.ThrowsAsync<PostgresException>(() => Db.ScalarAsync(sql, args))).SqlState);

        await RefusedAsync("INSERT INTO api_token (user_id, name, token_hash, prefix, expires_at) VALUES ($1, 'script', sha256('x'), 'glt_x', now() + interval '1 day') RETURNING id", x);
        var finance = await s.FinanceAsync(Db); // holds a live token
        await RefusedAsync("UPDATE app_user SET must_choose_password = true WHERE id = $1 RETURNING id", finance.UserId);
        await Db.ScalarAsync("UPDATE api_token SET revoked_at = now() WHERE user_id = $1 RETURNING id", finance.UserId);
        await Db.ScalarAsync("UPDATE app_user SET must_choose_password = true WHERE id = $1 RETURNING id", finance.UserId);
        await RefusedAsync("UPDATE api_token SET revoked_at = NULL WHERE user_id = $1 RETURNING id", finance.UserId);
    }

    /// <summary>Sends the password page's form (its return address and antiforgery token as the page gave them) with these passwords.</summary>
    private static Task<HttpResponseMessage> ChooseAsync(HttpClient page, string form, string current, string next, string confirm) =>
        page.PostAsync("/account/password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["currentPassword"] = current, ["newPassword"] = next, ["confirmPassword"] = confirm,
            ["returnUrl"] = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(form, "name=\"returnUrl\" value=\"([^\"]*)\"").Groups[1].Value),
            [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(form),
        }));

    private static string Location(HttpResponseMessage answer) =>
        answer.Headers.Location is { } to ? to.IsAbsoluteUri ? to.PathAndQuery : to.OriginalString : "";

    private async Task NoPasswordInTheTrailAsync(params string[] passwords)
    {
        foreach (var password in passwords)
            Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE details::text LIKE '%' || $1 || '%'", password));
    }
}
