using System.Net;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>The programme admin's second approval of claims at or above the programme's threshold: approve, return or reject.</summary>
public sealed class SecondApprovalJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    /// <summary>A £250 claim the area lead approved, over a £200 threshold: it awaits the second approval.</summary>
    internal static async Task<long> AwaitingSecondApprovalAsync(ClaimWorld world, string staff = "STAFF-01", string date = "2026-10-05")
    {
        var id = await world.UnderReviewAsync(staff, date);
        var state = (await world.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>();
        Assert.Equal("awaiting-second-approval", state);
        return id;
    }

    internal static Task SetThresholdAsync(DatabaseFixture db, ClaimWorld world) =>
        db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 20000 WHERE id = $1 RETURNING id", world.S.ProgrammeId);

    [Fact]
    public async Task Admin_GivesTheSecondApproval_ReturnsAnotherWithAReason_AfterTheErrorSummaryAsksForIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await SetThresholdAsync(Db, world);
        var first = await AwaitingSecondApprovalAsync(world);
        var second = await AwaitingSecondApprovalAsync(world, "STAFF-02", "2026-10-06");

        var page = await SignInAsync(world.Admin.UserName);
        await AtAsync(page, "^/approvals$"); // the admin's start page
        await CheckAsync(page, "admin-second-approvals");
        Assert.Contains("Second approvals", await page.InnerTextAsync("nav"));
        Assert.Equal(1, await page.Locator("nav a[href='/finance']").CountAsync()); // the payment runs, which the admin reads
        Assert.Equal(2, await page.Locator("#queue tbody tr").CountAsync());

        await ClickAsync(page, $"a[href='/approvals/claims/{first}']", "admin-second-approval-claim");
        Assert.Contains("Awaiting second approval", await page.InnerTextAsync("#claim-state"));
        Assert.Contains("First approved by", await page.InnerTextAsync("main"));
        await ClickAsync(page, "button:has-text('Give the second approval')");
        await AtAsync(page, $"/approvals/claims/{first}/done$");
        Assert.Contains("Second approval given", await page.InnerTextAsync("h1"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'approved'", first));

        // The approved claim offers no more actions; the queue has one left
        await VisitAsync(page, $"/approvals/claims/{first}");
        Assert.Equal(0, await page.Locator("main .gl-actions").CountAsync());
        await VisitAsync(page, "/approvals");
        Assert.Equal(1, await page.Locator("#queue tbody tr").CountAsync());

        await ClickAsync(page, $"a[href='/approvals/claims/{second}']");
        await ClickAsync(page, "a:has-text('Return to the school')");
        await ClickAsync(page, "button:has-text('Return the claim')");
        await ExpectErrorAsync(page, "reason", "Enter the reason");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'awaiting-second-approval'", second));
        await page.FillAsync("#reason", "Two staff members on the same visit: claim one");
        await ClickAsync(page, "button:has-text('Return the claim')");
        Assert.Contains("Claim returned to the school", await page.InnerTextAsync("h1"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'draft' AND reason LIKE 'Two staff%'", second));
        await VisitAsync(page, "/approvals");
        Assert.Contains("No claims are waiting", await page.InnerTextAsync("main"));
    }

    [Fact]
    public async Task Admin_RejectsAClaim_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await SetThresholdAsync(Db, world);
        var id = await AwaitingSecondApprovalAsync(world);
        var page = await KeyboardSignInAsync(world.Admin.UserName);

        await KeyPressOnAsync(page, $"a[href='/approvals/claims/{id}']");
        await CheckAsync(page);
        await KeyPressOnAsync(page, $"a[href='/approvals/claims/{id}/decide?action=reject']");
        await CheckAsync(page);
        await KeyTypeAsync(page, "#reason", "The visit was outside the programme");
        await KeySubmitAsync(page);
        await AtAsync(page, "/done$");
        await CheckAsync(page);
        Assert.Contains("Claim rejected", await page.InnerTextAsync("h1"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'rejected'", id));
    }

    [Fact]
    public async Task Admin_GivesTheSecondApproval_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await SetThresholdAsync(Db, world);
        var id = await AwaitingSecondApprovalAsync(world);
        var page = await KeyboardSignInAsync(world.Admin.UserName);

        await KeyPressOnAsync(page, $"a[href='/approvals/claims/{id}']");
        await KeySubmitAsync(page); // Give the second approval
        await AtAsync(page, "/done$");
        await CheckAsync(page);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'approved'", id));
    }

    [Fact]
    public async Task OtherRoles_GetThe403Page_OnSecondApprovals_AndChangeNothing()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await SetThresholdAsync(Db, world);
        var id = await AwaitingSecondApprovalAsync(world);
        var transitions = await Db.ScalarAsync("SELECT count(*) FROM claim_transition");

        // The area lead who first approved it: no link, the 403 page, and a POST with their own antiforgery token refused
        var lead = await SignInAsync(world.Lead.UserName);
        Assert.Equal(0, await lead.Locator("a[href='/approvals']").CountAsync());
        await VisitAsync(lead, "/approvals", 403);
        await VisitAsync(lead, $"/approvals/claims/{id}", 403);
        Assert.Contains("You cannot use this page", await lead.InnerTextAsync("h1"));
        Assert.Equal(403, await PostAsUserAsync(lead, $"/approvals/claims/{id}"));
        Assert.Equal(403, await PostAsUserAsync(lead, $"/approvals/claims/{id}/decide", new() { ["action"] = "reject", ["reason"] = "no" }));

        var school = await SignInAsync(world.School.UserName);
        await VisitAsync(school, $"/approvals/claims/{id}", 403);
        var finance = await SignInAsync((await world.S.FinanceAsync(Db)).UserName);
        await VisitAsync(finance, "/approvals", 403);

        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'awaiting-second-approval'", id));
        Assert.Equal(transitions, await Db.ScalarAsync("SELECT count(*) FROM claim_transition"));

        // Signing out is a form like any other: it carries its antiforgery token
        await ClickAsync(lead, "button:has-text('Sign out')");
        await AtAsync(lead, "^/sign-in");
    }
}
