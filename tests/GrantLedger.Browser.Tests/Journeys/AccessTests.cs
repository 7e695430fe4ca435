using System.Net;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>Signing in, lockout, and pages outside a user's role or scope.</summary>
public sealed class AccessTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    [Fact]
    public async Task SignIn_WithAWrongPassword_ShowsTheErrorSummary_AndFiveLockTheAccount()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var page = await NewPageAsync();
        await VisitAsync(page, "/school", screenshot: "sign-in"); // not signed in: the sign-in page
        Assert.Contains("/sign-in", page.Url);
        await ClickAsync(page, "button:has-text('Sign in')");
        await ExpectErrorAsync(page, "userName", "Enter your user name");
        for (var i = 0; i < 5; i++)
        {
            await page.FillAsync("#userName", world.School.UserName);
            await page.FillAsync("#password", "not-the-password");
            await ClickAsync(page, "button:has-text('Sign in')");
        }
        await ExpectErrorAsync(page, "userName", "locked");
        await page.FillAsync("#password", DatabaseFixture.Password);
        await ClickAsync(page, "button:has-text('Sign in')");
        Assert.Contains("locked", await page.InnerTextAsync(".govuk-error-summary"));
    }

    /// <summary>
    /// A finance user a programme admin has just made signs in for the first time, with the one-time password the admin
    /// gave: the service asks them to choose their own (a confirmation that differs is shown in the error summary, and no
    /// password typed comes back), then takes them to their own page, whose account area (beside who is signed in) offers to change it again.
    /// </summary>
    [Fact]
    public async Task FirstSignIn_WithAOneTimePassword_ChoosesTheirOwnPassword_ThenReachesTheirOwnPage()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        (await admin.PostAsync("/api/v1/users", new
        {
            userName = "new-finance", displayName = "New finance", password = DatabaseFixture.OneTimePassword, role = "funder_finance", programmeId = s.ProgrammeId,
        })).Expect(HttpStatusCode.Created);

        var page = await SignInAsync("new-finance", DatabaseFixture.OneTimePassword);
        await AtAsync(page, "^/account/password");
        await CheckAsync(page, "choose-password");
        Assert.Equal("Choose your password", (await page.InnerTextAsync("h1")).Trim());
        await VisitAsync(page, "/finance"); // every other page leads here
        await AtAsync(page, "^/account/password");

        const string chosen = "a-password-only-i-know";
        await page.FillAsync("#currentPassword", DatabaseFixture.OneTimePassword);
        await page.FillAsync("#newPassword", chosen);
        await page.FillAsync("#confirmPassword", chosen + "!");
        await ClickAsync(page, "main button[type=submit]", "choose-password-error");
        await ExpectErrorAsync(page, "confirmPassword", "The passwords you entered do not match");
        foreach (var field in new[] { "#currentPassword", "#newPassword", "#confirmPassword" })
            Assert.Equal("", await page.InputValueAsync(field));

        await page.FillAsync("#currentPassword", DatabaseFixture.OneTimePassword);
        await page.FillAsync("#newPassword", chosen);
        await page.FillAsync("#confirmPassword", chosen);
        await ClickAsync(page, "main button[type=submit]", "finance-after-choosing");
        await AtAsync(page, "^/finance$");
        Assert.Equal(1, await page.Locator(".govuk-phase-banner a[href='/account/password']").CountAsync());
    }

    /// <summary>
    /// A page session ends some hours after signing in however busy (GrantLedger:Access:SessionHours), and a form being
    /// filled in then is lost when it is sent: every page says when, from its warning time on, and says so again when the
    /// session has ended, with a way to sign in again that comes back to the page. The page itself stays, so that what
    /// was typed can be copied. Here the hours are 0.004 (14.4 s) and the warning 0.1 minutes (6 s).
    /// </summary>
    [Fact]
    public async Task EveryPage_SaysWhenItsSessionWillEnd_ThenThatItHas()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var (factory, baseUrl) = ServiceWith((GrantLedger.Web.Access.CookieSessions.HoursSetting, "0.004"),
            (GrantLedger.Web.Access.CookieSessions.WarningMinutesSetting, "0.1"));
        using var _ = factory;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var page = await SignInAsync(world.School.UserName, baseUrl: baseUrl);
        var banner = page.Locator("#session-end");
        Assert.True(await banner.IsHiddenAsync(), "shown before its warning time");

        await banner.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 20_000 });
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(7), $"shown {clock.Elapsed.TotalSeconds:0.0} s after signing in, before its warning time");
        Assert.Equal("alert", await banner.GetAttributeAsync("role"));
        Assert.Matches(@"^You will be signed out at \d\d:\d\d$", (await banner.Locator("[data-field=heading]").InnerTextAsync()).Trim());
        await CheckAsync(page, "session-ending");

        await page.GetByText("You have been signed out").WaitForAsync(new() { Timeout = 20_000 });
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(14), $"said to have ended {clock.Elapsed.TotalSeconds:0.0} s after signing in");
        Assert.Contains("/school", page.Url); // still on the page
        await CheckAsync(page, "session-ended");
        await page.ClickAsync("text=Sign in again");
        await page.FillAsync("#userName", world.School.UserName);
        await page.FillAsync("#password", DatabaseFixture.Password);
        await page.ClickAsync("button:has-text('Sign in')");
        await LoadedAsync(page);
        Assert.EndsWith("/school", new Uri(page.Url).AbsolutePath); // back where it was
    }

    /// <summary>
    /// A page session also ends some minutes after its last request (GrantLedger:Access:IdleMinutes; 15 s here, the
    /// warning 6 s before): the page says when, with "Stay signed in", which keeps it; a page used in another tab keeps it
    /// too, and the first tab, asking before it warns, waits for the new time; left alone, it says the session has ended.
    /// </summary>
    [Fact]
    public async Task APageLeftAlone_OffersToStaySignedIn_AndWaitsForUseInAnotherTab()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var (factory, baseUrl) = ServiceWith((GrantLedger.Web.Access.CookieSessions.IdleMinutesSetting, "0.25"),
            (GrantLedger.Web.Access.CookieSessions.WarningMinutesSetting, "0.1"));
        using var _ = factory;
        var page = await SignInAsync(world.School.UserName, baseUrl: baseUrl);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var banner = page.Locator("#session-end");
        var keep = banner.GetByRole(AriaRole.Button, new() { Name = "Stay signed in" });
        Assert.True(await banner.IsHiddenAsync(), "shown before its warning time");

        await banner.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 20_000 });
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(8), $"shown {clock.Elapsed.TotalSeconds:0.0} s after the page, before its warning time");
        Assert.Contains("after 0.25 minutes without using GrantLedger", await banner.InnerTextAsync());
        Assert.True(await keep.IsVisibleAsync(), "no way to stay signed in");
        await CheckAsync(page, "session-idle");
        await keep.ClickAsync();
        await banner.WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = 5_000 });

        var other = await page.Context.NewPageAsync(); // another tab, used a little later
        await Task.Delay(TimeSpan.FromSeconds(3));
        await other.GotoAsync("/school/claims");
        Assert.EndsWith("/school/claims", new Uri(other.Url).AbsolutePath);
        var used = System.Diagnostics.Stopwatch.StartNew(); // its end is 15 s from here (less the part of a second the cookie does not keep), its warning 6 s before; the page kept at least 3 s before would have warned 6 s from here
        await banner.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 20_000 });
        Assert.True(used.Elapsed > TimeSpan.FromSeconds(7), $"warned {used.Elapsed.TotalSeconds:0.0} s after the other tab's use: the session's end had moved");

        await page.GetByText("You have been signed out").WaitForAsync(new() { Timeout = 20_000 });
        Assert.True(used.Elapsed > TimeSpan.FromSeconds(13), $"said to have ended {used.Elapsed.TotalSeconds:0.0} s after the other tab's use");
        Assert.True(await keep.IsHiddenAsync(), "offers to keep a session that has ended");
        await other.ReloadAsync();
        Assert.Contains("/sign-in", other.Url); // ended for the other tab too
    }

    /// <summary>A service of the test's own, with these settings, on a socket of its own for the browser.</summary>
    private (WebApplicationFactory<Program> Factory, string BaseUrl) ServiceWith(params (string Key, string Value)[] settings)
    {
        var factory = Db.Factory.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        return (factory, factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    [Fact]
    public async Task PagesOutsideTheRoleOrScope_Answer403_AndChangeNothing()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await world.NewClaimAsync();
        await world.AddStaffTimeAsync(claimId);

        // A school business manager on the area lead's pages
        var school = await SignInAsync(world.School.UserName);
        await VisitAsync(school, "/review", 403, screenshot: "forbidden");
        Assert.Contains("You cannot use this page", await school.InnerTextAsync("h1"));
        Assert.Equal(0, await school.Locator("a[href='/review']").CountAsync()); // the navigation does not offer it

        // Another school's business manager on this school's claim, and posting its submission
        var other = await SignInAsync(world.OtherSchool.UserName);
        await VisitAsync(other, $"/school/claims/{claimId}/check", 403);
        var response = await other.APIRequest.PostAsync($"/school/claims/{claimId}/check", new() { Form = other.APIRequest.CreateFormData() });
        Assert.True(response.Status is 400 or 403, $"expected a refusal, got {response.Status}"); // antiforgery first, then scope

        // An area lead on finance and school pages
        var lead = await SignInAsync(world.Lead.UserName);
        await VisitAsync(lead, "/finance", 403);
        await VisitAsync(lead, "/school/claims/new", 403);

        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'draft'", claimId));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_transition"));
    }

    /// <summary>
    /// An address that does not exist, and one the service cannot read (a NUL in its query): a page of the service's own,
    /// accessible, with the status code, not a JSON document (docs/security.md).
    /// </summary>
    [Fact]
    public async Task AnAddressThatDoesNotExistOrCannotBeRead_AnswersWithAnAccessiblePage()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var school = await SignInAsync(world.School.UserName);
        await VisitAsync(school, "/school/no-such-page", 404, screenshot: "not-found");
        Assert.Equal("Page not found", await school.InnerTextAsync("h1"));
        Assert.Equal(1, await school.Locator("a[href='/school/claims']").CountAsync()); // signed in: the navigation is there
        await VisitAsync(school, "/school/claims?state=%00", 400);
        Assert.Equal("There is a problem with what was sent", await school.InnerTextAsync("h1"));
    }

    /// <summary>
    /// The page a person lands on when the database cannot be reached (the outage drill brings it about: docs/reliability.md):
    /// answered 503, accessible, and honest about a change that may have been saved.
    /// </summary>
    [Fact]
    public async Task TheUnavailablePage_Answers503_AndSaysWhetherAChangeMayHaveBeenSaved()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var school = await SignInAsync(world.School.UserName);
        var response = await VisitAsync(school, "/unavailable?change=1", 503, screenshot: "unavailable");
        Assert.Equal("5", await response.HeaderValueAsync("retry-after"));
        Assert.Contains("Sorry, there is a problem with the service", await school.InnerTextAsync("h1"));
        Assert.Contains("may have been saved", await school.InnerTextAsync("main"));
        await VisitAsync(school, "/unavailable", 503);
        Assert.Contains("Nothing has been changed", await school.InnerTextAsync("main"));
    }
}
