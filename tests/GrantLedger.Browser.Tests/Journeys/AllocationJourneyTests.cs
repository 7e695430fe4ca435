using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>A programme admin funds the year, allocates it (to all schools, to one, and from a file), moves money by virement, reverses the virement and adds a rate, each page checked by axe-core.</summary>
public sealed class AllocationJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    [Fact]
    public async Task Admin_FundsTheYear_SplitsItBetweenTheSchools_MovesMoney_ReversesTheMove_AndAddsARate()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var admin = await s.ProgrammeAdminAsync(Db);
        var page = await SignInAsync(admin.UserName);

        await ClickAsync(page, "nav a[href='/admin/allocations']", "admin-allocations");
        await ClickAsync(page, "#fund", "admin-fund");
        await page.FillAsync("#amount", "12.345");
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, "amount", "at most two decimal places");
        await ExpectErrorAsync(page, "description", "Enter a description");
        Assert.Equal("12.345", await page.InputValueAsync("#amount"));
        await page.FillAsync("#amount", "10,000.00");
        await page.FillAsync("#description", "Grant letter 1");
        await ClickAsync(page, "button:has-text('Continue')", "admin-fund-check");
        Assert.Contains("£10,000.00", await page.InnerTextAsync("#answers"));
        await ClickAsync(page, "button:has-text('Record the funding')", "admin-fund-done");
        await AtAsync(page, "^/admin/allocations/done/[0-9]+$");
        Assert.Contains("Funding recorded", await page.InnerTextAsync("h1"));

        await ClickAsync(page, "main a:has-text('Back to allocations')");
        await ClickAsync(page, "#allocate", "admin-allocate");
        await page.SelectOptionAsync("#categoryId", s.Categories["staff-cover"].ToString());
        await page.CheckAsync("#schools");
        await page.CheckAsync("#method-2");
        await page.FillAsync("#amount", "1,000.00");
        await ClickAsync(page, "button:has-text('Continue')", "admin-allocate-check");
        var answers = await page.InnerTextAsync("#answers");
        Assert.Contains("£250.00", answers);
        Assert.Contains("£9,000.00", answers);
        await ClickAsync(page, "main button[type=submit]:has-text('Allocate')");
        Assert.Contains("Allocation made", await page.InnerTextAsync("h1"));

        // one school's action plan budget, then two schools' from a file: a file with a problem first, named by its line
        await ClickAsync(page, "main a:has-text('Back to allocations')");
        await ClickAsync(page, "#allocate-school", "admin-allocate-school");
        await page.SelectOptionAsync("#schoolId", s.Schools[2].Id.ToString());
        await page.SelectOptionAsync("#categoryId", s.Categories["action-plan"].ToString());
        await page.FillAsync("#amount", "120.00");
        await ClickAsync(page, "button:has-text('Continue')", "admin-allocate-school-check");
        Assert.Contains("£0.00 now, £120.00 after", await page.InnerTextAsync("#answers"));
        await ClickAsync(page, "main button[type=submit]:has-text('Allocate')");
        Assert.Contains("Allocation made", await page.InnerTextAsync("h1"));

        await ClickAsync(page, "main a:has-text('Back to allocations')");
        await ClickAsync(page, "#allocate-file", "admin-allocate-file");
        FilePayload Csv(string amount) => new()
        {
            Name = "allocations.csv", MimeType = "text/csv",
            Buffer = System.Text.Encoding.UTF8.GetBytes($"URN,category,amount\r\n{s.Schools[0].Urn},action-plan,{amount}\r\n{s.Schools[1].Urn},action-plan,30.00\r\n"),
        };
        await page.SetInputFilesAsync("#file", Csv("12.345"));
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, "file", "Line 2: the amount must have at most two decimal places");
        await page.SetInputFilesAsync("#file", Csv("20.00"));
        await ClickAsync(page, "button:has-text('Continue')", "admin-allocate-file-check");
        Assert.Contains("£50.00", await page.InnerTextAsync("#answers"));
        Assert.Contains("action-plan", await page.InnerTextAsync("#categories"));
        await ClickAsync(page, "main button[type=submit]:has-text('Allocate')");
        Assert.Contains("Allocation made", await page.InnerTextAsync("h1"));

        await ClickAsync(page, "main a:has-text('Back to allocations')");
        await ClickAsync(page, "#vire", "admin-virement");
        await page.SelectOptionAsync("#fromSchoolId", s.Schools[0].Id.ToString());
        await page.SelectOptionAsync("#fromCategoryId", s.Categories["staff-cover"].ToString());
        await page.SelectOptionAsync("#toSchoolId", s.Schools[1].Id.ToString());
        await page.SelectOptionAsync("#toCategoryId", s.Categories["staff-cover"].ToString());
        await page.FillAsync("#amount", "50.00");
        await page.FillAsync("#reason", "Runs the network");
        await ClickAsync(page, "button:has-text('Continue')", "admin-virement-check");
        Assert.Contains("£250.00 available, £200.00 after", await page.InnerTextAsync("#answers"));
        await ClickAsync(page, "button:has-text('Move the money')");
        Assert.Contains("Money moved", await page.InnerTextAsync("h1"));

        // the virement was a mistake: reversed from the allocations page, its reason asked for first
        await ClickAsync(page, "main a:has-text('Back to allocations')");
        await ClickAsync(page, "#virements a:has-text('Reverse')", "admin-reverse");
        Assert.Contains("Reverse entry", await page.InnerTextAsync("h1"));
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, "reason", "Enter the reason for the reversal");
        await page.FillAsync("#reason", "Moved to the wrong school");
        await ClickAsync(page, "button:has-text('Continue')", "admin-reverse-check");
        Assert.Contains($"£50.00 back from School {s.Schools[1].Urn}: staff-cover available 2026-27 (URN {s.Schools[1].Urn}) to School {s.Schools[0].Urn}: staff-cover available 2026-27 (URN {s.Schools[0].Urn})",
            await page.InnerTextAsync("#answers"));
        await ClickAsync(page, "button:has-text('Reverse this entry')");
        await AtAsync(page, "^/admin/allocations/done/[0-9]+$");
        Assert.Contains("Entry reversed", await page.InnerTextAsync("h1"));
        await ClickAsync(page, "main a:has-text('Back to allocations')");
        Assert.Contains("reversed by entry", await page.InnerTextAsync("#virements"));

        await ClickAsync(page, "nav a[href='/admin/rates']", "admin-rates");
        await page.FillAsync("#code", "teacher-cover");
        await page.FillAsync("#name", "Teacher cover");
        await page.CheckAsync("#basis");
        await page.FillAsync("#amount", "250.00");
        await FillDateAsync(page, "effectiveFrom", new DateOnly(2026, 9, 1));
        await ClickAsync(page, "button:has-text('Add the rate')");
        Assert.Contains("teacher-cover", await page.InnerTextAsync("#rates"));
    }
}
