using System.Net;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>Funder finance closes the year: each category's unspent allocation lapses or carries forward; check your answers; confirmation.</summary>
public sealed class YearEndJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    /// <summary>A year that has ended, whatever today is: a year is closed only after its last day.</summary>
    private const string Ended = "2025-26";

    private static async Task<long> NextYearAsync(ClaimWorld world) =>
        (await world.S.Root.PostAsync($"/api/v1/programmes/{world.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;

    [Fact]
    public async Task Finance_ChoosesLapseOrCarryForward_ChecksTheAnswers_AndClosesTheYear()
    {
        var world = await ClaimWorld.CreateAsync(Db, Ended);
        var next = await NextYearAsync(world);
        var finance = await world.S.FinanceAsync(Db);
        var page = await SignInAsync(finance.UserName);
        var (cover, tlr, plan, time) = (world.Category("staff-cover"), world.Category("tlr-admin"), world.Category("action-plan"), world.Category("contact-time"));

        await ClickAsync(page, "nav a[href='/finance/year-end']", "finance-year-end");
        Assert.Contains("2025-26", await page.InnerTextAsync("main"));
        Assert.Contains("£4,000.00 unspent across 4 schools", await page.InnerTextAsync($"#treatment-{cover}-hint"));
        // what lapsing does, said as it is: no school can spend it (it does not go back to be allocated again)
        Assert.Contains("It lapses: schools can no longer spend it, and 2025-26's accounts show it as lapsed", await page.InnerTextAsync("main"));

        // Nothing chosen: an error per category, each linked to its question
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, $"treatment-{cover}", "Select if unspent");
        await ExpectErrorAsync(page, $"treatment-{time}");

        // Carrying forward without saying where to: the year is asked for; what was chosen stays chosen
        await page.CheckAsync($"#treatment-{cover}-2");
        foreach (var c in new[] { tlr, plan, time }) await page.CheckAsync($"#treatment-{c}");
        await ClickAsync(page, "button:has-text('Continue')");
        await ExpectErrorAsync(page, "nextYearId", "Select the year");
        Assert.True(await page.IsCheckedAsync($"#treatment-{cover}-2"));
        await page.SelectOptionAsync("#nextYearId", next.ToString());
        await ClickAsync(page, "button:has-text('Continue')", "finance-year-end-check");
        await AtAsync(page, "/finance/year-end/check");
        var answers = await page.InnerTextAsync("#answers");
        Assert.Contains("Carries forward: £4,000.00 from 4 schools", answers);
        Assert.Contains("Lapses: 20 days of staff time", answers);
        Assert.Contains("2026-27", answers);

        // Change goes back with every answer as given
        await ClickAsync(page, "#answers a:has-text('Change') >> nth=0");
        Assert.True(await page.IsCheckedAsync($"#treatment-{cover}-2"));
        Assert.Equal(next.ToString(), await page.InputValueAsync("#nextYearId"));
        await ClickAsync(page, "button:has-text('Continue')");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));

        await ClickAsync(page, "button:has-text('Close 2025-26')", "finance-year-end-done");
        await AtAsync(page, "/finance/year-end/done");
        Assert.Contains("2025-26 closed", await page.InnerTextAsync("h1"));
        Assert.Contains("Carried forward", await page.InnerTextAsync("#year-end"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE id = $1 AND closed_at IS NOT NULL", world.S.YearId));
        Assert.Equal(4, await Db.ScalarAsync("SELECT count(*) FROM year_end_rule WHERE programme_year_id = $1", world.S.YearId));
        Assert.Equal(400000, await Db.ScalarAsync(
            "SELECT credits_posted FROM account WHERE code = $1", world.S.SchoolAccount(0, "staff-cover", "available").Replace("2025-26", "2026-27")) * 4);

        // The year end page now says it is closed (the next open year is offered instead)
        await VisitAsync(page, "/finance/year-end");
        Assert.Contains("2026-27", await page.InnerTextAsync("main"));
    }

    [Fact]
    public async Task ClosingRefusals_ShowTheUseCasesReason_InTheErrorSummary_AndChangeNothing()
    {
        var world = await ClaimWorld.CreateAsync(Db, Ended);
        var claimId = await world.UnderReviewAsync();
        var finance = await world.S.FinanceAsync(Db);
        var page = await SignInAsync(finance.UserName);
        var categories = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(world.Category).ToList();

        await VisitAsync(page, "/finance/year-end");
        foreach (var c in categories) await page.CheckAsync($"#treatment-{c}");
        await ClickAsync(page, "button:has-text('Continue')");
        await ClickAsync(page, "button:has-text('Close 2025-26')");
        Assert.Contains("1 claim of 2025-26 still awaits a decision", await page.InnerTextAsync(".govuk-error-summary"));
        Assert.StartsWith("Error:", await page.TitleAsync());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM period WHERE closed_at IS NOT NULL"));

        // Decided, and then closed by someone else (through the API) while this page was open
        (await world.Lead.PostAsync($"/api/v1/claims/{claimId}/approve", null)).Expect(HttpStatusCode.OK);
        var rules = categories.Select(c => new { categoryId = c, treatment = "lapse" }).ToArray();
        (await finance.PostAsync($"/api/v1/programmes/{world.S.ProgrammeId}/years/{world.S.YearId}/close", new { rules })).Expect(HttpStatusCode.OK);
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        await ClickAsync(page, "button:has-text('Close 2025-26')");
        Assert.Contains("2025-26 is already closed", await page.InnerTextAsync(".govuk-error-summary"));
        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
    }

    [Fact]
    public async Task Finance_ClosesTheYear_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await world.S.FinanceAsync(Db);
        var page = await KeyboardSignInAsync(finance.UserName);

        await KeyPressOnAsync(page, "nav a[href='/finance/year-end']");
        await CheckAsync(page);
        foreach (var c in new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(world.Category))
        {
            await TabToAsync(page, $"#treatment-{c}");
            await page.Keyboard.PressAsync("Space"); // lapse
        }
        await KeySubmitAsync(page);
        await AtAsync(page, "/finance/year-end/check");
        await CheckAsync(page);
        await KeySubmitAsync(page);
        await AtAsync(page, "/finance/year-end/done");
        await CheckAsync(page);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE id = $1 AND closed_at IS NOT NULL", world.S.YearId));
    }

    [Fact]
    public async Task BeforeTheLastDay_NoHalfTermOrYearIsOfferedForClosing_ThePagesSayFromWhen_AndAPostAnywayIsRefusedInTheErrorSummary()
    {
        // the year under way today: its last half-term and the year itself end on 31 August
        var today = Core.Ledger.UkTime.Today;
        var starts = today.Month >= 9 ? today.Year : today.Year - 1;
        var code = $"{starts}-{(starts + 1) % 100:00}";
        var s = await Scenario.CreateAsync(Db, 1, 1, year: code);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var sum2 = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json[0]!["periods"]![5]!["id"]!.GetValue<long>();
        var page = await SignInAsync((await s.FinanceAsync(Db)).UserName);
        var from = $"1 September {starts + 1}";

        await VisitAsync(page, "/finance/periods");
        Assert.Equal(0, await page.Locator("#close-sum2").CountAsync());
        Assert.Contains($"Can be closed from {from}", await page.InnerTextAsync("#closable-sum2"));
        var refused = await PostForPageAsync(page, "/finance/periods", new() { ["periodId"] = sum2.ToString() });
        Assert.Contains($"can be closed from {from}", await refused.InnerTextAsync(".govuk-error-summary"));

        await VisitAsync(page, "/finance/year-end");
        Assert.Contains($"it can be closed from {from}", await page.InnerTextAsync("#year-not-ended"));
        Assert.Equal(0, await page.Locator("main button:has-text('Continue')").CountAsync());
        var fields = new Dictionary<string, string> { ["yearId"] = s.YearId.ToString(), [$"treatment-{s.Categories["staff-cover"]}"] = "lapse" };
        refused = await PostForPageAsync(page, "/finance/year-end/check", fields);
        Assert.Contains($"{code} has not ended", await refused.InnerTextAsync(".govuk-error-summary"));
        Assert.Equal(0, await refused.Locator($"button:has-text('Close {code}')").CountAsync());

        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM period WHERE closed_at IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM year_end_rule"));
    }

    /// <summary>A form posted to a page as this user (with the page's antiforgery token) as if a stale page had posted it; its answer shown in a new tab.</summary>
    private static async Task<Microsoft.Playwright.IPage> PostForPageAsync(Microsoft.Playwright.IPage page, string path, Dictionary<string, string> fields)
    {
        var token = await page.GetAttributeAsync("input[name=__RequestVerificationToken]", "value") ?? "";
        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token);
        foreach (var (k, v) in fields) form.Set(k, v);
        var response = await page.APIRequest.PostAsync(path, new() { Form = form });
        Assert.Equal(200, response.Status);
        var answer = await page.Context.NewPageAsync();
        await answer.SetContentAsync(await response.TextAsync());
        return answer;
    }

    [Fact]
    public async Task OtherRoles_GetThe403Page_OnYearEnd_AndChangeNothing()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var admin = await SignInAsync(world.Admin.UserName);
        Assert.Equal(0, await admin.Locator("a[href='/finance/year-end']").CountAsync());
        await VisitAsync(admin, "/finance/year-end", 403);
        var fields = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }
            .ToDictionary(c => $"treatment-{world.Category(c)}", _ => "lapse");
        fields["yearId"] = world.S.YearId.ToString();
        Assert.Equal(403, await PostAsUserAsync(admin, "/finance/year-end/check", fields));

        var auditor = await SignInAsync((await world.S.AuditorAsync(Db)).UserName);
        await VisitAsync(auditor, $"/finance/year-end/check?yearId={world.S.YearId}", 403);

        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM year_end_rule"));
    }
}
