using System.Text;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>The programme admin sets up schools in the browser: list, add, import, a school's payee reference and its name corrected, an area renamed; then adds a year with a half-term of its own.</summary>
public sealed class SchoolSetUpJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    [Fact]
    public async Task Admin_AddsASchoolAfterTheTakenUrnIsNamed_SetsItsPayeeReference_RenamesIt_AFileWithABadRowIsListed_AndAYearWithItsOwnSpring2IsAdded()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var page = await SignInAsync(admin.UserName);

        await VisitAsync(page, "/approvals");
        await ClickAsync(page, "nav a[href='/admin/schools']");
        Assert.Equal(2, await page.Locator("#schools tbody tr").CountAsync());
        Assert.Contains("Not set", await page.InnerTextAsync("#schools"));

        await ClickAsync(page, "#add-school");
        await page.FillAsync("#urn", s.Schools[0].Urn);
        await page.FillAsync("#name", "Rowan Primary");
        await page.SelectOptionAsync("#phase", "Primary"); // a phase as GIAS names it, chosen from its list
        await page.SelectOptionAsync("#areaId", s.AreaIds[1].ToString());
        await ClickAsync(page, "button:has-text('Add the school')");
        await ExpectErrorAsync(page, "urn", "is already in this programme");
        Assert.Equal("Rowan Primary", await page.InputValueAsync("#name"));
        Assert.Equal("Primary", await page.InputValueAsync("#phase"));
        await page.FillAsync("#urn", "455555");
        await ClickAsync(page, "button:has-text('Add the school')");
        await AtAsync(page, "^/admin/schools/\\d+$");
        Assert.Contains("455555 Rowan Primary was enrolled", await page.InnerTextAsync("main"));
        Assert.Contains("Not set", await page.InnerTextAsync("#payee-reference"));

        await page.FillAsync("#payeeReference", "SUP-455");
        await ClickAsync(page, "button:has-text('Save the payee reference')");
        Assert.Contains("The payee reference was set to SUP-455", await page.InnerTextAsync("main"));
        Assert.Equal("SUP-455", await Db.TextAsync("SELECT payee_reference FROM school WHERE urn = '455555'"));

        // renamed on joining a trust: a blank name named on its field first
        await ClickAsync(page, "#change-school", "admin-change-school");
        Assert.Equal("Rowan Primary", await page.InputValueAsync("#name"));
        Assert.Equal("Primary", await page.InputValueAsync("#phase"));
        await page.FillAsync("#name", "");
        await ClickAsync(page, "button:has-text('Save the name and phase')");
        await ExpectErrorAsync(page, "name", "Enter the school's name");
        await page.FillAsync("#name", "Rowan Trust Primary Academy");
        await ClickAsync(page, "button:has-text('Save the name and phase')");
        await AtAsync(page, "^/admin/schools/\\d+$");
        Assert.Contains("The school's name was changed from Rowan Primary to Rowan Trust Primary Academy", await page.InnerTextAsync("main"));
        Assert.Equal("Rowan Trust Primary Academy", await page.InnerTextAsync("h1"));
        Assert.Equal("Rowan Trust Primary Academy|Primary", await Db.TextAsync("SELECT name || '|' || phase FROM school WHERE urn = '455555'"));

        await VisitAsync(page, "/admin/schools/import");
        await page.SetInputFilesAsync("#file", new FilePayload
        {
            Name = "schools.csv", MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes("URN,LA (name),EstablishmentName,PhaseOfEducation (name)\n456001,Area 1,Yew Primary,Primary\n45600,Area 1,Short,Primary\n"),
        });
        await ClickAsync(page, "button:has-text('Import schools')");
        await ExpectErrorAsync(page, "file", "The file is not imported");
        Assert.Contains("Line 3 (URN 45600)", await page.InnerTextAsync(".govuk-error-summary"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn = '456001'"));

        await VisitAsync(page, "/admin/programme");
        Assert.Equal(6, await page.Locator($"#year-{s.YearCode} tbody tr").CountAsync());
        await ClickAsync(page, $"#change-area-{s.AreaIds[1]}", "admin-change-area");
        await page.FillAsync("#name", "Area 2 North");
        await ClickAsync(page, "button:has-text('Save the name')");
        await AtAsync(page, "^/admin/programme$");
        Assert.Contains("The area Area 2 is now called Area 2 North", await page.InnerTextAsync("main"));
        Assert.Contains("Area 2 North", await page.InnerTextAsync("#area-list"));

        // the next year, its Spring 2 moved to 19 February after a date before Spring 1 is named on its field
        await ClickAsync(page, "#add-year", "admin-new-year");
        Assert.Equal("2027-28", await page.InputValueAsync("#code"));
        await ClickAsync(page, "button:has-text('Continue')", "admin-new-year-dates");
        Assert.Equal("3", await page.InputValueAsync("#spr2StartsOn-month"));
        await FillDateAsync(page, "spr2StartsOn", new DateOnly(2027, 12, 20));
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, "spr2StartsOn", "Spring 2 must begin after Spring 1, which begins on 1 January 2028");
        await FillDateAsync(page, "spr2StartsOn", new DateOnly(2028, 2, 19));
        await ClickAsync(page, "button:has-text('Continue')", "admin-new-year-check");
        Assert.Contains("Spring 1\t1 January 2028\t18 February 2028", await page.InnerTextAsync("#half-terms"));
        await ClickAsync(page, "button:has-text('Add the year')");
        await AtAsync(page, "^/admin/programme$");
        Assert.Contains("The year 2027-28 was added with its six half-terms", await page.InnerTextAsync("main"));
        Assert.Contains("19 Feb 2028", await page.InnerTextAsync("#year-2027-28"));
        Assert.Equal("spr2 2028-02-19 2028-04-30", await Db.TextAsync(
            "SELECT p.code || ' ' || p.starts_on || ' ' || p.ends_on FROM period p JOIN programme_year y ON y.id = p.programme_year_id WHERE y.code = '2027-28' AND p.code = 'spr2'"));
    }
}
