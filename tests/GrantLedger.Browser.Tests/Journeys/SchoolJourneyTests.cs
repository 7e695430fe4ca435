using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>The school business manager's journeys, in the browser, each page checked with axe-core.</summary>
public sealed class SchoolJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    /// <summary>The school's statement from the navigation, a claim's row leading to the claim, and the dashboard's link back to it; each accessible.</summary>
    [Fact]
    public async Task SchoolBusinessManager_ReadsTheStatement_AndOpensAClaimFromIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claim = await world.NewClaimAsync();
        await world.AddStaffTimeAsync(claim, "STAFF-01", "2026-10-05");
        (await world.SubmitAsync(claim)).Expect(System.Net.HttpStatusCode.OK);
        var page = await SignInAsync(world.School.UserName);
        await VisitAsync(page, "/school");
        await ClickAsync(page, "nav a[href='/school/statement']", screenshot: "school-statement");
        Assert.Contains($"Claim CLM-{claim:000000} submitted: held", await page.InnerTextAsync("#statement"));
        Assert.Contains("£1,750.00", await page.InnerTextAsync("#closing"));
        await ClickAsync(page, $"#statement a[href='/school/claims/{claim}']");
        await AtAsync(page, $"/school/claims/{claim}$");
        await VisitAsync(page, "/school");
        await ClickAsync(page, "main a[href^='/school/statement']");
        await AtAsync(page, "/school/statement");
    }

    /// <summary>
    /// A period of the statement from its own form: an end before the start is named in the error summary, then the period opens
    /// with what was brought forward and closes as of its end; each page accessible.
    /// </summary>
    [Fact]
    public async Task SchoolBusinessManager_ReadsTheStatementForAPeriod()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claim = await world.NewClaimAsync();
        await world.AddStaffTimeAsync(claim, "STAFF-01", "2026-10-05");
        (await world.SubmitAsync(claim)).Expect(System.Net.HttpStatusCode.OK);
        var page = await SignInAsync(world.School.UserName);
        await VisitAsync(page, "/school/statement");
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        await FillDateAsync(page, "from", today);
        await FillDateAsync(page, "to", new DateOnly(2026, 9, 30));
        await ClickAsync(page, "button:has-text('Show the period')");
        await ExpectErrorAsync(page, "to", "The end date must be the same as or after the start date");
        Assert.Equal(today.Day.ToString(), await page.InputValueAsync("#from"));

        await FillDateAsync(page, "to", today);
        await ClickAsync(page, "button:has-text('Show the period')", screenshot: "school-statement-period");
        Assert.Equal("Brought forward", await page.InnerTextAsync("#statement tbody tr td:nth-child(2)"));
        Assert.Contains($"Claim CLM-{claim:000000} submitted: held", await page.InnerTextAsync("#statement"));
        Assert.Contains("as of " + today.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), await page.InnerTextAsync("#closing"));
        Assert.Equal(1, await page.Locator($"a[href='/school/time-statement.csv?year={world.S.YearId}&from={today:yyyy-MM-dd}&to={today:yyyy-MM-dd}']").CountAsync());
    }

    [Fact]
    public async Task SchoolBusinessManager_DraftsAClaimWithEvidence_ChecksAnswers_AndSubmitsIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var page = await SignInAsync(world.School.UserName);

        // Dashboard: per category, with the chart's text alternative and the table beside it
        await VisitAsync(page, "/school", screenshot: "school-dashboard");
        Assert.Contains("£1,000.00", await page.InnerTextAsync("#budget-table"));
        Assert.Contains("5 days", await page.InnerTextAsync("#time-table"));
        Assert.Equal(1, await page.Locator("svg[role=img] desc").CountAsync());

        // The agreed plan
        await VisitAsync(page, "/school/plan", screenshot: "school-action-plan");
        Assert.Contains("Sensory room kit", await page.InnerTextAsync("#actions"));

        // Start a claim: forgetting the half-term shows the error summary
        await VisitAsync(page, "/school/claims/new");
        await page.FillAsync("#description", "Autumn spending");
        await ClickAsync(page, "button:has-text('Start the claim')");
        await ExpectErrorAsync(page, "periodId", "Select the half-term");
        Assert.Equal("Autumn spending", await page.InputValueAsync("#description"));
        await page.CheckAsync("label:has-text('Autumn 1')");
        await ClickAsync(page, "button:has-text('Start the claim')");
        var claimUrl = page.Url;
        Assert.Matches(@"/school/claims/\d+$", claimUrl);

        // A line of action-plan spending; a malformed amount keeps everything typed
        await ClickAsync(page, "a:has-text('Add a line')");
        await page.CheckAsync("label:has-text('Spending on an action')");
        await ClickAsync(page, "button:has-text('Continue')");
        await page.SelectOptionAsync("#actionId", new SelectOptionValue { Index = 1 }); // the first action: the select starts blank
        await page.FillAsync("#supplier", "Calm Spaces Ltd");
        await page.FillAsync("#invoiceRef", "INV-204");
        await page.FillAsync("#amount", "12.345");
        await ClickAsync(page, "button:has-text('Add the line')", screenshot: "school-line-error");
        await ExpectErrorAsync(page, "amount", "two decimal places");
        Assert.Equal("Calm Spaces Ltd", await page.InputValueAsync("#supplier"));
        Assert.Equal("12.345", await page.InputValueAsync("#amount"));
        await page.FillAsync("#amount", "1,20.00");
        await ClickAsync(page, "button:has-text('Add the line')");
        await ExpectErrorAsync(page, "amount", "1,234.50");
        await page.FillAsync("#amount", "120.5");
        await ClickAsync(page, "button:has-text('Add the line')");
        await AtAsync(page, @"/school/claims/\d+$");
        Assert.Equal(claimUrl, page.Url);
        Assert.Contains("£120.50", await page.InnerTextAsync("#lines"));

        // A staff-time line, in days, with the allowance it uses
        await ClickAsync(page, "a:has-text('Add a line')");
        await page.CheckAsync("label:has-text('Staff time')");
        await ClickAsync(page, "button:has-text('Continue')");
        await page.FillAsync("#staffRef", "STAFF-07");
        await page.SelectOptionAsync("#role", "leader");
        await page.SelectOptionAsync("#activity", "training");
        await FillDateAsync(page, "date", new DateOnly(2026, 10, 5));
        await page.FillAsync("#days", "1");
        await page.SelectOptionAsync("#allowanceCategoryId", world.Category("contact-time").ToString());
        await ClickAsync(page, "button:has-text('Add the line')");
        await AtAsync(page, @"/school/claims/\d+$");
        Assert.Contains("£250.00", await page.InnerTextAsync("#lines"));

        // Submitting without the invoice attached is refused with the use case's reason
        await ClickAsync(page, "a:has-text('Check and submit')", screenshot: "school-check-answers");
        await page.CheckAsync("#declaration");
        await ClickAsync(page, "button:has-text('Accept and submit')");
        Assert.Contains("needs its invoice", await page.InnerTextAsync(".govuk-error-summary"));

        // Upload the invoice to its line
        await VisitAsync(page, claimUrl);
        await ClickAsync(page, "a:has-text('Upload evidence')");
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "invoice-204.pdf", MimeType = "application/pdf", Buffer = ClaimWorld.Pdf("INV-204") });
        await page.SelectOptionAsync("#lineId", new SelectOptionValue { Label = "Line 1: Action-plan spending, £120.50" });
        await ClickAsync(page, "button:has-text('Upload')");
        Assert.Contains("invoice-204.pdf", await page.InnerTextAsync("#evidence"));

        // Check answers; the declaration is required
        await ClickAsync(page, "a:has-text('Check and submit')");
        Assert.Contains("£370.50", await page.InnerTextAsync("#total"));
        await ClickAsync(page, "button:has-text('Accept and submit')");
        await ExpectErrorAsync(page, "declaration");
        await page.CheckAsync("#declaration");
        await ClickAsync(page, "button:has-text('Accept and submit')", screenshot: "school-claim-submitted");
        Assert.Contains("Claim submitted", await page.InnerTextAsync("h1"));

        var claimId = long.Parse(claimUrl.Split('/').Last());
        Assert.Equal(37050, await Db.ScalarAsync("SELECT sum(amount_pence) FROM claim_line WHERE claim_id = $1", claimId));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'submitted'", claimId));

        // The list shows the state; the dashboard shows the reservation
        await VisitAsync(page, "/school/claims", screenshot: "school-claims");
        Assert.Contains("Submitted", await page.InnerTextAsync("#claims"));
        await VisitAsync(page, "/school");
        Assert.Contains("£250.00", await page.InnerTextAsync("#budget-table"));
    }

    [Fact]
    public async Task SchoolBusinessManager_ImportsLinesFromASpreadsheet_SeesEachProblemByRow_ThenImportsTheMendedFile()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var id = await world.NewClaimAsync();
        var page = await SignInAsync(world.School.UserName);
        await VisitAsync(page, $"/school/claims/{id}");
        await ClickAsync(page, "a:has-text('Import lines from a spreadsheet')", screenshot: "school-import-lines");
        // the ids the columns need are on the page
        Assert.Contains(world.Category("staff-cover").ToString(), await page.InnerTextAsync("#categories"));
        Assert.Contains(world.Actions[0].ToString(), await page.InnerTextAsync("#actions"));

        // no file chosen
        await ClickAsync(page, "button:has-text('Import lines')");
        await ExpectErrorAsync(page, "file", "Select a CSV file");

        // a file with two bad rows: each in the summary by its row and column, and no line added
        var (cover, time) = (world.Category("staff-cover"), world.Category("contact-time"));
        string Csv(string secondDate, string secondHours) => $"""
            kind,categoryId,allowanceCategoryId,staffRef,role,activity,date,hours
            staff-time,{cover},{time},STAFF-01,leader,training,2026-10-05,7.5
            staff-time,{cover},{time},STAFF-02,leader,training,{secondDate},{secondHours}

            """;
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "cover.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(Csv("2027-03-01", "1.234")) });
        await ClickAsync(page, "button:has-text('Import lines')", screenshot: "school-import-lines-errors");
        await ExpectErrorAsync(page, "file");
        var summary = await page.InnerTextAsync(".govuk-error-summary");
        Assert.Contains("Line 3: the hours must be a number", summary); // a sentence naming the row and the field
        Assert.DoesNotContain("Line 2", summary);

        // mended: both lines are on the claim
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "cover.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(Csv("2026-10-06", "3.75")) });
        await ClickAsync(page, "button:has-text('Import lines')");
        await AtAsync(page, $@"/school/claims/{id}$");
        var lines = await page.InnerTextAsync("#lines");
        Assert.Contains("STAFF-01", lines);
        Assert.Contains("STAFF-02", lines);
    }
}
