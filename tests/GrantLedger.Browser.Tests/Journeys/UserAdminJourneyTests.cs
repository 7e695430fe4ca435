using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>A programme admin adds a user, reads the one-time password once, and disables them again.</summary>
public sealed class UserAdminJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    [Fact]
    public async Task Admin_AddsAnAreaLead_AfterTheErrorSummaryAsksForTheArea_ThenDisablesThem()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var page = await SignInAsync(admin.UserName);

        await VisitAsync(page, "/admin/users");
        await CheckAsync(page, "admin-users");
        Assert.Contains("Users", await page.InnerTextAsync("nav"));
        await ClickAsync(page, "#add-user", "admin-new-user");
        await page.FillAsync("#userName", "new-lead");
        await page.FillAsync("#displayName", "Grace Hopper");
        await page.CheckAsync("input[name=role][value=area_lead]");
        await ClickAsync(page, "button:has-text('Add user')");
        await ExpectErrorAsync(page, "areaId", "An area lead needs the area they lead");
        Assert.Equal("new-lead", await page.InputValueAsync("#userName"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE user_name = 'new-lead'"));

        await page.SelectOptionAsync("#areaId", s.AreaIds[1].ToString());
        await ClickAsync(page, "button:has-text('Add user')", "admin-user-added");
        Assert.Contains("User added", await page.InnerTextAsync("h1"));
        Assert.Matches("^[a-z2-9]{4}(-[a-z2-9]{4}){3}$", (await page.InnerTextAsync("#one-time-password")).Trim());
        var id = await Db.ScalarAsync("SELECT id FROM app_user WHERE user_name = 'new-lead' AND area_id = $1 AND must_choose_password", s.AreaIds[1]);

        await ClickAsync(page, $"a[href='/admin/users/{id}']", "admin-user");
        Assert.Contains("Must choose a password", await page.InnerTextAsync("#user"));
        await ClickAsync(page, "#disable", "admin-user-disable");
        await ClickAsync(page, "#confirm");
        await AtAsync(page, $"^/admin/users/{id}$");
        Assert.Contains("Grace Hopper is disabled", await page.InnerTextAsync("main"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE id = $1 AND disabled_at IS NOT NULL", id));
    }

    /// <summary>The tokens' table, its Revoke link, the confirmation and the user's own list: accessible as every page is.</summary>
    [Fact]
    public async Task Admin_RevokesAUsersApiToken_AndTheUserSeesItRevokedOnTheirOwnList()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        var token = await Db.ScalarAsync("SELECT min(id) FROM api_token WHERE user_id = $1", school.UserId);
        var page = await SignInAsync(admin.UserName);

        await VisitAsync(page, $"/admin/users/{school.UserId}");
        await CheckAsync(page, "admin-user-tokens");
        Assert.Contains("Active", await page.InnerTextAsync("#tokens"));
        await ClickAsync(page, $"a[href='/admin/users/{school.UserId}/tokens/{token}/revoke']", "admin-revoke-token");
        await ClickAsync(page, "#confirm");
        await AtAsync(page, $"^/admin/users/{school.UserId}$");
        Assert.Contains("token test", await page.InnerTextAsync("#done"));
        Assert.Contains("Revoked on", await page.InnerTextAsync("#tokens"));

        var own = await SignInAsync(school.UserName);
        await ClickAsync(own, "a[href='/account/tokens']", "account-tokens");
        Assert.Contains("Revoked on", await own.InnerTextAsync("#tokens"));

        // and issues another, shown once
        await ClickAsync(own, "#issue-token", "account-new-token");
        await ClickAsync(own, "#issue");
        await ExpectErrorAsync(own, "name", "Enter a name for the token, like the script that will use it");
        await own.FillAsync("#name", "nightly export");
        await ClickAsync(own, "#issue", "account-token-issued");
        Assert.StartsWith("glt_", (await own.InnerTextAsync("#token-secret")).Trim());
    }
}
