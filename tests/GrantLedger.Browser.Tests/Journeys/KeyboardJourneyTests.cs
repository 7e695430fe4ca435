using System.Net;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>A full journey per role with the keyboard alone: Tab to move, Enter and Space to act, typing and arrow keys to answer.</summary>
public sealed class KeyboardJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    [Fact]
    public async Task SchoolBusinessManager_StartsAndSubmitsAClaim_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var page = await KeyboardSignInAsync(world.School.UserName);

        await KeyPressOnAsync(page, "a[href='/school/claims']");
        await KeyPressOnAsync(page, "main a[href='/school/claims/new']");
        await TabToAsync(page, "#periodId");
        await page.Keyboard.PressAsync("ArrowDown"); // Autumn 2
        await page.Keyboard.PressAsync("ArrowUp");   // back to Autumn 1, chosen
        await KeyTypeAsync(page, "#description", "Typed without a mouse");
        await KeySubmitAsync(page);
        await AtAsync(page, @"/school/claims/\d+$");
        await CheckAsync(page);

        await KeyPressOnAsync(page, "main a[href$='/line']");
        await TabToAsync(page, "#kind");
        await page.Keyboard.PressAsync("Space"); // Staff time
        await KeySubmitAsync(page);
        await KeyTypeAsync(page, "#staffRef", "STAFF-09");
        await KeySelectAsync(page, "#role", "leader"); // the role and activity start blank: each is chosen
        await KeySelectAsync(page, "#activity", "peer-visit");
        await KeyTypeAsync(page, "#date", "12");
        await KeyTypeAsync(page, "#date-month", "10");
        await KeyTypeAsync(page, "#date-year", "2026");
        await KeyTypeAsync(page, "#hours", "3.75");
        await KeySelectAsync(page, "#allowanceCategoryId", world.Category("contact-time").ToString());
        await KeySubmitAsync(page);
        await AtAsync(page, @"/school/claims/\d+$");
        Assert.Contains("£125.00", await page.InnerTextAsync("#lines")); // half a day at £250

        await KeyPressOnAsync(page, "main a[href$='/check']");
        await CheckAsync(page);
        await TabToAsync(page, "#declaration");
        await page.Keyboard.PressAsync("Space");
        await KeySubmitAsync(page);
        Assert.Contains("Claim submitted", await page.InnerTextAsync("h1"));
        await CheckAsync(page);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'submitted'"));
    }

    [Fact]
    public async Task AreaLead_ReviewsAndApprovesAClaim_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await world.NewClaimAsync();
        await world.AddStaffTimeAsync(claimId);
        (await world.SubmitAsync(claimId)).Expect(HttpStatusCode.OK);
        var page = await KeyboardSignInAsync(world.Lead.UserName);

        await KeyPressOnAsync(page, $"a[href='/review/claims/{claimId}']");
        await CheckAsync(page);
        await KeyPressOnAsync(page, "main button[type=submit]"); // Start the review
        await KeyPressOnAsync(page, $"a[href='/review/claims/{claimId}/approve']");
        await CheckAsync(page);
        await KeySubmitAsync(page);
        await AtAsync(page, "/done$");
        await CheckAsync(page);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'approved'", claimId));
    }

    [Fact]
    public async Task Finance_BuildsAndApprovesAPaymentRun_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await FinanceAndAuditJourneyTests.ApprovedClaimAsync(world);
        var maker = await world.S.FinanceAsync(Db, "finance");
        var checker = await world.S.FinanceAsync(Db, "finance2");

        var page = await KeyboardSignInAsync(maker.UserName);
        await KeySelectAsync(page, "#areaId", world.S.AreaIds[0].ToString());
        await KeySubmitAsync(page);
        await AtAsync(page, @"/finance/runs/\d+$");
        await CheckAsync(page);
        var run = page.Url;

        var second = await KeyboardSignInAsync(checker.UserName);
        await KeyPressOnAsync(second, $"a[href='{new Uri(run).AbsolutePath}']");
        await KeyPressOnAsync(second, "main button[type=submit]"); // Approve the run
        await CheckAsync(second);
        Assert.Contains("Approved", await second.InnerTextAsync("#run-state"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM payment_run WHERE state = 'approved'"));
    }

    [Fact]
    public async Task Auditor_ReadsTheTrialBalanceAndAClaimsHistory_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await FinanceAndAuditJourneyTests.ApprovedClaimAsync(world);
        var auditor = await world.S.AuditorAsync(Db);
        var page = await KeyboardSignInAsync(auditor.UserName);

        await KeyPressOnAsync(page, "a[href='/ledger/trial-balance']");
        await KeyTypeAsync(page, "#asOf", "30");
        await KeyTypeAsync(page, "#asOf-month", "11");
        await KeyTypeAsync(page, "#asOf-year", "2026");
        await KeySubmitAsync(page);
        await CheckAsync(page);
        Assert.Contains("30 November 2026", await page.InnerTextAsync("#totals caption"));

        await KeyPressOnAsync(page, "a[href='/ledger/claims']");
        await KeyPressOnAsync(page, $"a[href='/ledger/claims/{claimId}']");
        await CheckAsync(page);
        Assert.Contains("Approve", await page.InnerTextAsync("#history"));
    }
}
