using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

/// <summary>
/// The programme admin's money pages (/admin/allocations, …/fund, …/new, …/virement, /admin/rates): each does what the API's
/// funding, allocations, virements and rates do, checked through the API and the ledger; a check-your-answers step writes
/// nothing; the confirming form moves money once however often it is posted.
/// </summary>
public sealed partial class AllocationPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<(Scenario S, HttpClient Page)> AdminAsync(int areas = 2, int schoolsPerArea = 2)
    {
        var s = await Scenario.CreateAsync(Db, areas, schoolsPerArea);
        var admin = await s.ProgrammeAdminAsync(Db);
        return (s, await PageFormFuzzTests.SignedInPageAsync(Db.Factory, admin.UserName));
    }

    /// <summary>Posts the form; answers the check page (nothing written yet) and its confirming form's address and hidden fields.</summary>
    private static async Task<(string Html, string Action, List<KeyValuePair<string, string>> Fields)> CheckAsync(HttpClient page, string url,
        Dictionary<string, string> fields)
    {
        fields[GrantLedger.Web.Pages.GovPage.FormKeyField] = Guid.NewGuid().ToString("N");
        var (problems, html) = await PageForms.PostAsync(page, url, fields);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        Assert.Contains("Check your answers", html);
        var (action, hidden) = PageForms.ConfirmingForm(html);
        return (html, action, hidden);
    }

    private static async Task<HttpResponseMessage> ConfirmAsync(HttpClient page, string action, List<KeyValuePair<string, string>> fields) =>
        await page.PostAsync(action, new FormUrlEncodedContent(fields));

    /// <summary>Confirms twice, as a form sent again does: both lead to one confirmation page (posted once); answers its address.</summary>
    private static async Task<string> ConfirmedOnceAsync(HttpClient page, string action, List<KeyValuePair<string, string>> fields)
    {
        using var first = await ConfirmAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var done = first.Headers.Location!.OriginalString;
        Assert.Matches("^/admin/allocations/done/[0-9]+$", done);
        using var again = await ConfirmAsync(page, action, fields);
        Assert.Equal(done, again.Headers.Location!.OriginalString);
        // said on the page it led to, not left to surface on a later page (it appeared on the schools page next opened)
        Assert.Contains("This was already done: ", WebUtility.HtmlDecode(await page.GetStringAsync(done)));
        Assert.DoesNotContain("This was already done", await page.GetStringAsync("/admin/schools"));
        return done;
    }

    private static string Balance(JsonNode account) => account["balance"]!.GetValue<string>();

    /// <summary>What a check or a refusal must leave as it was: the entries, the funding, allocation and virement records, their audit events and the forms' one-time keys.</summary>
    private async Task<string> WrittenAsync()
    {
        var counts = new List<long>();
        foreach (var table in new[] { "journal_entry", "funding", "allocation", "virement", "rate", "audit_event", "idempotency_key" })
            counts.Add((long)(await Db.ScalarAsync($"SELECT count(*) FROM {table}"))!);
        return string.Join(",", counts);
    }

    [Fact]
    public async Task FundPage_ChecksTheAnswersWritingNothing_ThenRaisesUnallocatedByExactlyTheAmount_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync();
        await s.FundAsync("1000.00");
        var before = await WrittenAsync();

        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["amount"] = "1,234.56", ["description"] = "Grant letter 2", ["valueDate-day"] = "", ["valueDate-month"] = "", ["valueDate-year"] = "" });
        Assert.Contains("£1,234.56", html);
        Assert.Contains(GrantLedger.Core.Ledger.UkTime.Today.ToString("d MMMM yyyy"), html); // blank: dated today
        Assert.Equal(before, await WrittenAsync());

        var done = await ConfirmedOnceAsync(page, action, fields);

        Assert.Equal("2234.56", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM funding WHERE reference = 'Grant letter 2'"));
        var confirmation = await PageTables.Read(page, done);
        Assert.Contains("Funding recorded", confirmation);
        Assert.Contains("£1,234.56", confirmation);
        Assert.Contains($"id=\"back\" href=\"/admin/allocations?yearId={s.YearId}\"", confirmation); // the entry's year, not the current one
        Assert.Contains("£2,234.56", await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}"));
    }

    /// <summary>The admin's programme of four schools and a thousand more (a national programme's counts), funded £100,000.00.</summary>
    private async Task<(Scenario S, HttpClient Page)> AThousandSchoolsMoreFundedAsync()
    {
        var (s, page) = await AdminAsync(1, 4);
        var csv = "URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"{800000 + i},School {i},Primary,Camden\n"));
        (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}", System.Text.Encoding.UTF8.GetBytes(csv), "text/csv"))
            .Expect(HttpStatusCode.OK);
        await s.FundAsync("100000.00");
        return (s, page);
    }

    /// <summary>
    /// Counts of a thousand or more read as every other number on the pages, "1,004": the allocations list's Lines and the
    /// confirmation's Transfers read "1004" for an allocation to every school of a national programme.
    /// </summary>
    [Fact]
    public async Task AnAllocationToAThousandSchools_CountsItsLinesWithTheThousandsMarked()
    {
        var (s, page) = await AThousandSchoolsMoreFundedAsync();
        var (_, action, fields) = await CheckAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = "all", ["method"] = "each", ["amount"] = "10.00",
            ["valueDate-day"] = "", ["valueDate-month"] = "", ["valueDate-year"] = "",
        });
        var done = await PageTables.Read(page, await ConfirmedOnceAsync(page, action, fields));
        Assert.Matches("<dt class=\"govuk-summary-list__key\">Transfers</dt><dd class=\"govuk-summary-list__value\">1,004</dd>", done);
        var list = await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}");
        Assert.Contains("<td class=\"govuk-table__cell govuk-table__cell--numeric\">1,004</td>", list);
    }

    /// <summary>
    /// Counts were written in the server's culture ("N0"): on a server set to German, 1,004 read "1.004", which a UK reader
    /// takes for one and a bit. Every count is written by Gov.Number, as the pages' others are: here the schools list's
    /// schools without a payee reference, the reversal page's transfers and the import page's most rows, on a server whose
    /// culture groups thousands with a full stop.
    /// </summary>
    [Fact]
    public async Task CountsAndDates_ReadTheSameOnAServerOfAnotherCulture_TheThousandsMarkedByACommaAndTheMonthsInEnglish()
    {
        var (s, page) = await AThousandSchoolsMoreFundedAsync();
        await s.AllocateEachAsync("staff-cover", "10.00");
        var entry = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE programme_id = $1", s.ProgrammeId);
        var without = await Db.ScalarAsync("SELECT count(*) FROM school WHERE programme_id = $1 AND payee_reference IS NULL", s.ProgrammeId);
        Assert.True(without >= 1000, $"{without}");

        var (culture, threads) = (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.DefaultThreadCurrentCulture);
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.DefaultThreadCurrentCulture = new("de-DE");
        try
        {
            Assert.Equal("1.004", 1004.ToString("N0")); // the server's culture, as a page would have it
            Assert.Contains($"{without / 1000},{without % 1000:000} schools have no payee reference", await PageTables.Read(page, "/admin/schools"));
            Assert.Contains("The entry's 1,004 transfers are summed here", await PageTables.Read(page, $"/admin/entries/{entry}/reverse"));
            Assert.Contains("A file can hold up to 20,000 rows", await PageTables.Read(page, $"/admin/allocations/import?yearId={s.YearId}"));
            // dates too: the months in English, where a server set to German wrote "Dezember" and "Dez."
            Assert.Equal("Dezember", new DateTime(2026, 12, 4).ToString("MMMM"));
            var trail = await PageTables.Read(page, $"/ledger/trail?programmeId={s.ProgrammeId}"); // today's records: December's
            Assert.Contains(" Dec 2026", trail);
            Assert.DoesNotContain("Dez", trail);
        }
        finally
        {
            (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.DefaultThreadCurrentCulture) = (culture, threads);
        }
    }

    /// <summary>
    /// An admin of every programme (the demo's "admin") had "page not found" on every allocation page, its confirmations, the
    /// reversal page and the rate card, as if no programme were theirs. They choose the programme (?programmeId=, a list on
    /// the page), a year given names its own, an entry its own; and they fund, see the confirmation and reach the reversal.
    /// </summary>
    [Fact]
    public async Task AnAdminOfEveryProgramme_ChoosesTheProgramme_AndFundsAllocatesAndReversesInIt()
    {
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "tb");
        var s = await Scenario.CreateAsync(Db, 1, 2, root: other.Root);
        await s.FundAsync("1000.00");
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, s.Root.UserName);

        var list = await PageTables.Read(page, $"/admin/allocations?programmeId={s.ProgrammeId}");
        Assert.Contains($"Test programme {s.Code}", list);
        Assert.Contains("id=\"programme-choice\"", list);
        Assert.Contains($"<option value=\"{s.ProgrammeId}\" selected", list);
        Assert.Contains($"href=\"/admin/allocations/fund?yearId={s.YearId}\"", list);
        Assert.Contains("£1,000.00", list);

        var (_, action, fields) = await CheckAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["amount"] = "250.00", ["description"] = "Grant letter 3", ["valueDate-day"] = "", ["valueDate-month"] = "", ["valueDate-year"] = "" });
        using var posted = await ConfirmAsync(page, action, fields);
        var done = posted.Headers.Location!.OriginalString;
        Assert.Matches("^/admin/allocations/done/[0-9]+$", done);
        Assert.Contains("Funding recorded", await PageTables.Read(page, done));
        Assert.Equal("1250.00", (await s.AccountAsync($"{s.Code}:2026-27:unallocated"))["available"]!.GetValue<string>());
        var entry = done[(done.LastIndexOf('/') + 1)..];
        Assert.Contains("Reverse", await PageTables.Read(page, $"/admin/entries/{entry}/reverse"));
        foreach (var form in new[] { "new", "school", "import", "virement" })
            Assert.Contains($"Allocations 2026-27, Test programme {s.Code}", await PageTables.Read(page, $"/admin/allocations/{form}?yearId={s.YearId}"));
        Assert.Contains($"Test programme {other.Code}", await PageTables.Read(page, $"/admin/allocations?programmeId={other.ProgrammeId}"));

        var rates = await PageTables.Read(page, $"/admin/rates?programmeId={s.ProgrammeId}");
        Assert.Contains("id=\"programme-choice\"", rates);
        Assert.Contains($"<option value=\"{s.ProgrammeId}\" selected", rates);
        Assert.Contains("Add a rate", rates);
    }

    [Theory]
    [InlineData("12.345", "The amount must have at most two decimal places")]
    [InlineData("-1", "The amount")]
    [InlineData("abc", "The amount must be an amount in pounds")]
    public async Task FundPage_ABadAmount_IsNamedBesideTheField_WithWhatWasTypedKept_AndNothingWritten(string typed, string said)
    {
        var (s, page) = await AdminAsync(1, 1);
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["amount"] = typed, ["description"] = "Grant" });
        var problem = Assert.Single(problems);
        Assert.Equal("amount", problem.Field);
        Assert.StartsWith(said, problem.Text);
        Assert.Contains("id=\"amount-error\"", html);
        Assert.Contains($"name=\"amount\" type=\"text\" value=\"{typed}\"", html);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task AClosedYear_IsSaidClosed_AndOffersNoFundingAllocationVirementOrReversal_WhichItWouldRefuse()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2, year: "2025-26"); // ended: finance can close it
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var funding = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE programme_id = $1 AND cause_type = 'funding'", s.ProgrammeId);
        Assert.Contains($"/admin/entries/{funding}/reverse", await page.GetStringAsync($"/admin/allocations?yearId={s.YearId}"));
        var finance = await s.FinanceAsync(Db);
        (await finance.PostAsync($"{s.Year}/close", new { rules = new[] { new { categoryId = s.Categories["staff-cover"], treatment = "lapse" } } }))
            .Expect(HttpStatusCode.OK);

        var closed = $"2025-26 was closed on {GrantLedger.Core.Ledger.UkTime.Today:d MMMM yyyy}: nothing more can be funded, allocated, moved or reversed in it.";
        var list = await page.GetStringAsync($"/admin/allocations?yearId={s.YearId}");
        Assert.Contains(closed, list);
        Assert.Contains("The same to each school", list); // its allocations still shown
        foreach (var offered in new[] { "/admin/allocations/fund", "/admin/allocations/new", "/admin/allocations/school", "/admin/allocations/import", "/admin/allocations/virement", "/reverse" })
            Assert.DoesNotContain(offered, list);
        foreach (var form in new[] { "fund", "new", "school", "import", "virement" })
        {
            var html = await page.GetStringAsync($"/admin/allocations/{form}?yearId={s.YearId}");
            Assert.Contains(closed, html);
            Assert.DoesNotContain("name=\"amount\"", html);
            Assert.DoesNotContain("name=\"file\"", html);
        }
        var reverse = await page.GetStringAsync($"/admin/entries/{funding}/reverse");
        Assert.Contains(closed, reverse);
        Assert.DoesNotContain("..", reverse); // it read "… reversed in it.."
        Assert.DoesNotContain("name=\"reason\"", reverse);
        // the API says the year is closed too: it said the money had since been claimed or moved
        var refused = (await s.Root.PostAsync($"/api/v1/journal-entries/{funding}/reversal", new { reason = "after the close" }))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "period-closed").Body;
        Assert.Contains("which was closed on", refused);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE reverses_entry_id = $1", funding));
    }

    [Fact]
    public async Task TheFundingTable_GivesWhatTheYearEndLapsedAndCarriedForward_AndWhatTheNextYearBroughtForward_SoThatItTies()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2, year: "2025-26");
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        await s.FundAsync("1000.01");
        await s.AllocateEachAsync("staff-cover", "100.00");
        await s.AllocateEachAsync("action-plan", "50.00");
        var next = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var before = Rows(await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}"), "funding");
        Assert.Equal(["Money", "£1,000.01", "£700.01"], Assert.Single(before)); // no year end yet: no columns for it
        var finance = await s.FinanceAsync(Db);
        (await finance.PostAsync($"{s.Year}/close", new
        {
            rules = new object[]
            {
                new { categoryId = s.Categories["staff-cover"], treatment = "carry-forward" },
                new { categoryId = s.Categories["action-plan"], treatment = "lapse" },
            },
            nextYearId = next,
        })).Expect(HttpStatusCode.OK);

        // funded + brought forward = allocated (net) + lapsed + carried forward + unallocated, in each year
        var closed = await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}");
        Assert.Contains("<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Lapsed</th>", closed);
        Assert.Equal(["Money", "£1,000.01", "£0.00", "£100.00", "£200.00", "£700.01"], Assert.Single(Rows(closed, "funding")));
        var opened = Rows(await PageTables.Read(page, $"/admin/allocations?yearId={next}"), "funding");
        Assert.Equal(["Money", "£0.00", "£200.00", "£0.00", "£0.00", "£0.00"], Assert.Single(opened));
    }

    /// <summary>
    /// A row of staff time gives all its figures in one unit: 100 days funded beside 626 hours unallocated had read
    /// "100 days | 626 hours" (found in an exploratory review); it reads in hours, as the unallocated figure must.
    /// </summary>
    [Fact]
    public async Task TheFundingTable_GivesARowOfStaffTimeInOneUnit()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        await s.FundAsync("100.00", minutes: 45000);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-01"), lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["contact-time"], minutes = 7440 } },
        })).Expect(HttpStatusCode.Created);
        var rows = Rows(await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}"), "funding");
        Assert.Equal(["Staff time", "750 hours", "626 hours"], rows.Single(r => r[0] == "Staff time"));
    }

    [Fact]
    public async Task AValueDateInAClosedHalfTerm_IsNamedOnItsField_WithTheHalfTermAndTheDateAsThePagesWriteThem()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26");
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        await s.FundAsync("1000.00");
        var aut1 = await Db.ScalarAsync("SELECT id FROM period WHERE programme_year_id = $1 AND code = 'aut1'", s.YearId);
        (await (await s.FinanceAsync(Db)).PostAsync($"{s.Year}/periods/{aut1}/close", null)).Expect(HttpStatusCode.OK);
        var funding = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE programme_id = $1 AND cause_type = 'funding'", s.ProgrammeId);
        var before = await WrittenAsync();

        var said = "The value date, 15 October 2025, falls in Autumn 1 2025-26, which is closed: enter a date in a half-term that is still open";
        var (fund, _) = await PageForms.PostAsync(page, $"/admin/allocations/fund?yearId={s.YearId}", new()
        {
            ["amount"] = "10.00", ["description"] = "Late grant", ["valueDate-day"] = "15", ["valueDate-month"] = "10", ["valueDate-year"] = "2025",
        });
        Assert.Equal([("valueDate", said)], fund);
        var (reverse, _) = await PageForms.PostAsync(page, $"/admin/entries/{funding}/reverse", new()
        {
            ["reason"] = "Entered twice", ["valueDate-day"] = "15", ["valueDate-month"] = "10", ["valueDate-year"] = "2025",
        });
        Assert.Equal([("valueDate", said)], reverse);
        Assert.Equal(before, await WrittenAsync());
    }

    /// <summary>
    /// Half-terms close in order once ended, so a blank value date falls in a closed one only once the year has ended and its
    /// last is closed, every other with it: the page says so on the field, not the API's "sent without a valueDate".
    /// </summary>
    [Fact]
    public async Task AValueDateLeftBlank_WhenTheEndedYearsLastHalfTermIsClosed_IsSaidOnItsField_ThatNoHalfTermIsStillOpen()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26"); // ended: a blank date would be its last day, 31 August 2026
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var finance = await s.FinanceAsync(Db);
        foreach (var code in new[] { "aut1", "aut2", "spr1", "spr2", "sum1", "sum2" })
            (await finance.PostAsync($"{s.Year}/periods/{await Db.ScalarAsync("SELECT id FROM period WHERE programme_year_id = $1 AND code = $2", s.YearId, code)}/close", null))
                .Expect(HttpStatusCode.OK);
        var before = await WrittenAsync();

        var said = "No half-term of 2025-26 is still open, so nothing more can be posted in it: left blank, the value date would be 31 August 2026, in Summer 2, which is closed";
        var (fund, html) = await PageForms.PostAsync(page, $"/admin/allocations/fund?yearId={s.YearId}", new()
        {
            ["amount"] = "10.00", ["description"] = "Late grant", ["valueDate-day"] = "", ["valueDate-month"] = "", ["valueDate-year"] = "",
        });
        Assert.Equal([("valueDate", said)], fund);
        Assert.DoesNotContain("sent without a valueDate", html);
        var (virement, _) = await PageForms.PostAsync(page, $"/admin/allocations/virement?yearId={s.YearId}", new()
        {
            ["fromSchoolId"] = s.Schools[0].Id.ToString(), ["fromCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["toSchoolId"] = s.Schools[0].Id.ToString(), ["toCategoryId"] = s.Categories["action-plan"].ToString(),
            ["amount"] = "10.00", ["reason"] = "Runs the network", ["valueDate-day"] = "", ["valueDate-month"] = "", ["valueDate-year"] = "",
        });
        Assert.Contains(("valueDate", said), virement);
        // the API names the half-term with its year, as the pages do
        Assert.Contains("and that half-term (Summer 2 2025-26) is closed", (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "10.00", reference = "late grant" }))
            .ExpectProblem(HttpStatusCode.Conflict, "valueDate", "period-closed").Json["detail"]!.GetValue<string>());
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task AllocatePage_EachToOneAreasSchools_GivesEachExactlyTheAmount_OthersNothing_AndTheTrialBalanceStaysZero()
    {
        var (s, page) = await AdminAsync(2, 2);
        await s.FundAsync("1000.00");
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = $"area-{s.AreaIds[1]}", ["method"] = "each",
            ["amount"] = "150.25", ["description"] = "Area 2 cover",
        });
        Assert.Contains("id=\"answer-schools\">The schools of Area 2 (2)</dd>", html);
        Assert.Contains("£300.50", html); // total
        Assert.Contains("£699.50", html); // unallocated after
        using var posted = await ConfirmAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);

        Assert.Equal("150.25", Balance(await s.AccountAsync(s.SchoolAccount(2, "staff-cover", "available"))));
        Assert.Equal("150.25", Balance(await s.AccountAsync(s.SchoolAccount(3, "staff-cover", "available"))));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[0].Urn}:%"));
        Assert.Equal("699.50", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        var tb = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
        var list = Rows(await PageTables.Read(page, $"/admin/allocations?yearId={s.YearId}"), "allocations");
        var row = Assert.Single(list);
        Assert.Equal(["Area 2 cover", "The same to each school", "2", "£300.50"], row[1..5]);
    }

    [Fact]
    public async Task AllocatePage_SplitATotal_GivesTheLargestRemainderPennies()
    {
        var (s, page) = await AdminAsync(1, 3);
        await s.FundAsync("1000.00");
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = "all", ["method"] = "split", ["amount"] = "100.00",
        });
        Assert.Contains("£33.33 to £33.34", html);
        (await ConfirmAsync(page, action, fields)).Dispose();
        var shares = new List<string>();
        for (var i = 0; i < 3; i++) shares.Add(Balance(await s.AccountAsync(s.SchoolAccount(i, "staff-cover", "available"))));
        Assert.Equal(["33.34", "33.33", "33.33"], shares); // by URN, the first takes the penny left over
        Assert.Equal("900.00", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
    }

    [Fact]
    public async Task AllocatePage_MoreThanUnallocated_NamesTheShortfallInTheSummary_AndPostsNothing()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("100.00");
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = "all", ["method"] = "each", ["amount"] = "50.01",
        });
        var problem = Assert.Single(problems);
        Assert.Contains("£0.02 too much", problem.Text);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Contains("value=\"50.01\"", html);
        Assert.Equal(before, await WrittenAsync());
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
    }

    [Fact]
    public async Task AllocatePage_DatedInAClosedHalfTerm_IsNamedOnTheValueDate_AndPostsNothing()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("1000.00");
        var aut1 = (long)(await Db.ScalarAsync("SELECT id FROM period WHERE programme_year_id = $1 AND code = 'aut1'", s.YearId))!;
        (await (await s.FinanceAsync(Db)).PostAsync($"{s.Year}/periods/{aut1}/close", null)).Expect(HttpStatusCode.OK);
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = "all", ["method"] = "each", ["amount"] = "10.00",
            ["valueDate-day"] = "15", ["valueDate-month"] = "9", ["valueDate-year"] = "2026",
        });
        var problem = Assert.Single(problems);
        Assert.Equal("valueDate", problem.Field);
        Assert.Contains("closed", problem.Text);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Equal(before, await WrittenAsync());
    }

    /// <summary>
    /// The admin's two schools (both named <paramref name="schoolsNamed"/> when given), £200.00 of staff cover each, the
    /// virement page and its answers moving an amount from the first's staff cover to the second's.
    /// </summary>
    private async Task<(Scenario S, HttpClient Page, string Url, Func<string, Dictionary<string, string>> Fields)> VirementAsync(string? schoolsNamed = null)
    {
        var (s, page) = await AdminAsync(1, 2);
        if (schoolsNamed is not null)
            await Db.ScalarAsync("WITH u AS (UPDATE school SET name = $2 WHERE programme_id = $1 RETURNING 1) SELECT count(*) FROM u", s.ProgrammeId, schoolsNamed);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "200.00");
        Dictionary<string, string> Fields(string amount) => new()
        {
            ["fromSchoolId"] = s.Schools[0].Id.ToString(), ["fromCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["toSchoolId"] = s.Schools[1].Id.ToString(), ["toCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["amount"] = amount, ["reason"] = "School 2 runs the network",
        };
        return (s, page, $"/admin/allocations/virement?yearId={s.YearId}", Fields);
    }

    [Fact]
    public async Task VirementPage_MovesExactlyTheAmountBetweenTheTwoSchoolsAvailable_AndMoreThanAvailableIsNamed()
    {
        var (s, page, url, Fields) = await VirementAsync();
        var before = await WrittenAsync();
        var (problems, _) = await PageForms.PostAsync(page, url, Fields("200.01"));
        Assert.Contains(problems, p => p.Field == "amount" && p.Text.Contains("£0.01 too much"));
        Assert.Equal(before, await WrittenAsync());

        var (html, action, fields) = await CheckAsync(page, url, Fields("75.50"));
        Assert.Contains("£200.00 available, £124.50 after", html);
        Assert.Contains("£200.00 available, £275.50 after", html);
        using var posted = await ConfirmAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("124.50", Balance(await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available"))));
        Assert.Equal("275.50", Balance(await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available"))));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM virement"));
    }

    /// <summary>
    /// Money sent back to the year's unallocated budget from the virement page: the school and category typed for a school's
    /// budget are left aside, the check says where it goes, and the school's budget and the unallocated budget move by it.
    /// </summary>
    [Fact]
    public async Task VirementPage_SendsMoneyBackToTheUnallocatedBudget_LeavingAsideASchoolTypedBelow()
    {
        var (s, page, url, Fields) = await VirementAsync();
        var unallocated = $"{s.Code}:{s.YearCode}:unallocated";
        Assert.Equal("600.00", Balance(await s.AccountAsync(unallocated)));
        var back = Fields("50.00");
        back["toKind"] = Pages.Admin.VirementModel.ToUnallocated;
        var (html, action, fields) = await CheckAsync(page, url, back);
        Assert.Contains("The programme's unallocated budget for 2026-27, to allocate again", html);
        Assert.Contains("£200.00 available, £150.00 after", html);
        using var posted = await ConfirmAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal("150.00", Balance(await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available"))));
        Assert.Equal("200.00", Balance(await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available"))));
        Assert.Equal("650.00", Balance(await s.AccountAsync(unallocated)));
    }

    /// <summary>
    /// PINS has seven schools of each name: a virement between two of them was checked as "From Riverside Primary School,
    /// …" and "To Riverside Primary School, …", and refused as "Riverside Primary School has only …": which one? Each is
    /// named with its URN, as the lists it was chosen from give it.
    /// </summary>
    [Fact]
    public async Task VirementPage_SchoolsThatShareAName_AreToldApartByTheirUrns_InTheCheckAndTheRefusal()
    {
        var (s, page, url, Fields) = await VirementAsync("Riverside Primary School");
        var (problems, _) = await PageForms.PostAsync(page, url, Fields("200.01"));
        Assert.Contains(problems, p => p.Field == "amount" && p.Text.StartsWith($"Riverside Primary School (URN {s.Schools[0].Urn}) has only £200.00"));

        var (html, _, _) = await CheckAsync(page, url, Fields("75.50"));
        Assert.Contains($"id=\"answer-from\">Riverside Primary School (URN {s.Schools[0].Urn}), staff-cover: £200.00 available", html);
        Assert.Contains($"id=\"answer-to\">Riverside Primary School (URN {s.Schools[1].Urn}), staff-cover: £200.00 available", html);
    }

    /// <summary>A programme of more schools than a list can hold (PINS has 1,680): each side's school is typed by its URN.</summary>
    [Fact]
    public async Task VirementPage_InALargeProgramme_TakesEachSchoolByItsUrn_AndAnUnknownUrnIsNamed()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "200.00");
        await Db.DataSource.ExecuteAsync("""
            INSERT INTO school (programme_id, urn, name, phase, area_id)
            SELECT $1, (900000 + g)::text, 'School ' || g, 'Primary', $2 FROM generate_series(1, $3) g
            """, s.ProgrammeId, s.AreaIds[0], Pages.Gov.MostSchoolsInAList);
        var url = $"/admin/allocations/virement?yearId={s.YearId}";
        var form = await PageTables.Read(page, url);
        Assert.Contains("name=\"fromUrn\"", form);
        Assert.DoesNotContain("name=\"fromSchoolId\"", form); // no list of 202 schools
        Dictionary<string, string> Fields(string fromUrn) => new()
        {
            ["fromUrn"] = fromUrn, ["fromCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["toUrn"] = s.Schools[1].Urn, ["toCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["amount"] = "20.00", ["reason"] = "School 2 runs the network",
        };
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, url, Fields("999999"));
        Assert.Equal("fromUrn", Assert.Single(problems).Field);
        Assert.Contains("value=\"999999\"", html);
        Assert.Equal(before, await WrittenAsync());

        var (check, action, fields) = await CheckAsync(page, url, Fields(s.Schools[0].Urn));
        Assert.Contains("£200.00 available, £180.00 after", check);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("180.00", Balance(await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available"))));
        Assert.Equal("220.00", Balance(await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available"))));
    }

    [Fact]
    public async Task VirementPage_TheSameAccountBothSides_IsNamedOnTheCategory_NothingWritten()
    {
        var (s, page) = await AdminAsync(1, 1);
        await s.FundAsync("100.00");
        await s.AllocateEachAsync("staff-cover", "50.00");
        var (problems, _) = await PageForms.PostAsync(page, $"/admin/allocations/virement?yearId={s.YearId}", new()
        {
            ["fromSchoolId"] = s.Schools[0].Id.ToString(), ["fromCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["toSchoolId"] = s.Schools[0].Id.ToString(), ["toCategoryId"] = s.Categories["staff-cover"].ToString(),
            ["amount"] = "1.00", ["reason"] = "none",
        });
        Assert.Contains(problems, p => p.Field == "toCategoryId");
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM virement"));
    }

    /// <summary>Where a page sends a record not found (or not the user's to see): the "Page not found" page, answered 404.</summary>
    private const string NotFound = "/forbidden?missing=1";

    [Fact]
    public async Task Pages_AnotherProgrammesYear_IsNotFound_AndNothingIsWritten()
    {
        var (s, page) = await AdminAsync(1, 1);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "tq");
        await other.FundAsync("100.00");
        var before = await WrittenAsync();
        foreach (var url in new[] { "/admin/allocations", "/admin/allocations/fund", "/admin/allocations/new", "/admin/allocations/school", "/admin/allocations/import", "/admin/allocations/virement" })
        {
            using var shown = await page.GetAsync($"{url}?yearId={other.YearId}");
            Assert.Equal(NotFound, shown.Headers.Location?.OriginalString);
        }
        var token = PageFormFuzzTests.TokenOf(await page.GetStringAsync($"/admin/allocations/fund?yearId={s.YearId}"));
        using var posted = await page.PostAsync($"/admin/allocations/fund?handler=Confirm&yearId={other.YearId}", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["amount"] = "10.00", ["description"] = "x", [PageFormFuzzTests.Token] = token }));
        Assert.Equal(NotFound, posted.Headers.Location?.OriginalString);
        Assert.Equal(before, await WrittenAsync());
        var entry = (long)(await Db.ScalarAsync("SELECT max(id) FROM journal_entry"))!;
        Assert.Equal(NotFound, (await page.GetAsync($"/admin/allocations/done/{entry}")).Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Pages_OtherRolesAreSentToTheForbiddenPage()
    {
        var (s, _) = await AdminAsync(1, 1);
        foreach (var user in new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) })
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, user.UserName);
            foreach (var url in new[] { "/admin/allocations", "/admin/allocations/fund", "/admin/allocations/new", "/admin/allocations/school", "/admin/allocations/import", "/admin/allocations/virement", "/admin/rates" })
            {
                using var refused = await page.GetAsync(url); // to the page that says the role does not allow it
                Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
                Assert.Equal("/forbidden", refused.Headers.Location!.AbsolutePath);
            }
        }
    }

    [Fact]
    public async Task RatesPage_AddsARateTheApiThenLists_InForceMarked_AndABadOneIsInline()
    {
        var (s, page) = await AdminAsync(1, 1);
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        var (problems, html) = await PageForms.PostAsync(page, "/admin/rates", new()
        {
            ["code"] = "Teacher Cover", ["name"] = "Teacher cover", ["basis"] = "day", ["amount"] = "250.005",
            ["effectiveFrom-day"] = "1", ["effectiveFrom-month"] = "9", ["effectiveFrom-year"] = "2026",
        });
        Assert.Equal(["code", "amount"], problems.Select(p => p.Field).ToArray());
        Assert.Contains("value=\"Teacher Cover\"", html);
        var rates = $"/api/v1/programmes/{s.ProgrammeId}/rates";
        Assert.Empty((await s.Root.GetAsync(rates)).Expect(HttpStatusCode.OK).Json.AsArray());

        var fields = new Dictionary<string, string>
        {
            ["code"] = "teacher-cover", ["name"] = "Teacher cover", ["basis"] = "day", ["amount"] = "1,250.50",
            ["effectiveFrom-day"] = "1", ["effectiveFrom-month"] = "9", ["effectiveFrom-year"] = "2026",
            [GrantLedger.Web.Pages.GovPage.FormKeyField] = Guid.NewGuid().ToString("N"),
        };
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync("/admin/rates"));
        using (var added = await page.PostAsync("/admin/rates", new FormUrlEncodedContent(fields))) Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        using (var again = await page.PostAsync("/admin/rates", new FormUrlEncodedContent(fields))) Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Contains("This was already done: ", await PageTables.Read(page, "/admin/rates")); // where the second post led
        var listed = Assert.Single((await s.Root.GetAsync(rates)).Expect(HttpStatusCode.OK).Json.AsArray());
        Assert.Equal("teacher-cover", listed!["code"]!.GetValue<string>());
        Assert.Equal("1250.50", listed["amount"]!.GetValue<string>());
        Assert.Equal(today >= new DateOnly(2026, 9, 1), listed["inForce"]!.GetValue<bool>());
        var row = Assert.Single(Rows(await PageTables.Read(page, "/admin/rates"), "rates"));
        Assert.Equal(["teacher-cover", "Teacher cover", "Day", "£1,250.50"], row[..4]);
        Assert.Equal("In force", row[5]);
        var nav = await PageTables.Read(page, "/admin/rates"); // both pages in the programme admin's navigation
        Assert.Contains("href=\"/admin/allocations\"", nav);
        Assert.Contains("href=\"/admin/rates\"", nav);
    }

    [Fact]
    public async Task RatesPage_ARateTakingEffectInAClosedHalfTerm_IsNamedOnItsField_AsThePagesWriteDates_AndTheApiGivesTheHalfTerm()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26");
        var admin = await s.ProgrammeAdminAsync(Db);
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, admin.UserName);
        var aut1 = await Db.ScalarAsync("SELECT id FROM period WHERE programme_year_id = $1 AND code = 'aut1'", s.YearId);
        (await (await s.FinanceAsync(Db)).PostAsync($"{s.Year}/periods/{aut1}/close", null)).Expect(HttpStatusCode.OK);
        var before = await WrittenAsync();

        var (problems, html) = await PageForms.PostAsync(page, "/admin/rates", new()
        {
            ["code"] = "teacher-cover", ["name"] = "Teacher cover", ["basis"] = "day", ["amount"] = "250.00",
            ["effectiveFrom-day"] = "15", ["effectiveFrom-month"] = "10", ["effectiveFrom-year"] = "2025",
        });
        Assert.Equal([("effectiveFrom",
            "The date it takes effect, 15 October 2025, falls in Autumn 1 2025-26, which is closed: enter a date in a half-term that is still open")], problems);
        Assert.DoesNotContain("2025-10-15", html);
        var problem = (await admin.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/rates",
                new { code = "teacher-cover", name = "Teacher cover", basis = "day", amount = "250.00", effectiveFrom = "2025-10-15" }))
            .ExpectProblem(HttpStatusCode.Conflict, "effectiveFrom", "period-closed").Json;
        Assert.Equal("2025-10-15 falls in Autumn 1 2025-26, which is closed: a rate cannot take effect in a closed period", problem["detail"]!.GetValue<string>());
        Assert.Equal(["2025-10-15", "2025-26", "Autumn 1"],
            new[] { "effectiveFrom", "year", "period" }.Select(k => problem[k]!.GetValue<string>()).ToArray());
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task AllocatePage_StaffTimeTypedInDays_GivesEachSchoolTheMinutes()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("10.00", minutes: 4500);
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["contact-time"].ToString(), ["schools"] = "all", ["method"] = "each", ["amount"] = "4.5",
        });
        Assert.Contains("4.5 days", html);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("2025", Balance(await s.AccountAsync(s.SchoolAccount(0, "contact-time", "available"), "MIN")));
        Assert.Equal("2025", Balance(await s.AccountAsync(s.SchoolAccount(1, "contact-time", "available"), "MIN")));
    }

    /// <summary>
    /// A year's staff time is funded before it can be allocated to the schools' allowances: the fund page takes it in days of
    /// 7.5 hours, as the allocate page does, and the ledger holds it in minutes.
    /// </summary>
    [Fact]
    public async Task FundPage_StaffTimeInDays_RaisesUnallocatedStaffTimeByTheMinutes_WhichTheAllocatePageThenAllocates()
    {
        var (s, page) = await AdminAsync(1, 2);
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["unit"] = "MIN", ["amount"] = "12.5", ["description"] = "Contact days 2026-27" });
        Assert.Contains("id=\"answer-amount\">12.5 days</dd>", html);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("5625", (await s.AccountAsync("tp:2026-27:unallocated", "MIN"))["available"]!.GetValue<string>());
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM funding WHERE unit = 'MIN' AND amount = 5625"));

        var (check, allocate, answers) = await CheckAsync(page, $"/admin/allocations/new?yearId={s.YearId}", new()
        {
            ["categoryId"] = s.Categories["contact-time"].ToString(), ["schools"] = "all", ["method"] = "each", ["amount"] = "6",
        });
        Assert.Contains("12 days", check);
        (await ConfirmAsync(page, allocate, answers)).Dispose();
        Assert.Equal("2700", Balance(await s.AccountAsync(s.SchoolAccount(1, "contact-time", "available"), "MIN")));

        // staff time is typed in days to two places, each a whole number of minutes; a unit it does not know is named
        var (bad, _) = await PageForms.PostAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["unit"] = "MIN", ["amount"] = "0.01", ["description"] = "x" });
        Assert.Equal(("amount", true), (Assert.Single(bad).Field, bad[0].Text.StartsWith("The amount must be a whole number of minutes")));
        var (unknown, _) = await PageForms.PostAsync(page, $"/admin/allocations/fund?yearId={s.YearId}",
            new() { ["unit"] = "EUR", ["amount"] = "1", ["description"] = "x" });
        Assert.Equal(("unit", "Select money or staff time"), (Assert.Single(unknown).Field, unknown[0].Text));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM funding WHERE unit = 'MIN'"));
    }

    /// <summary>
    /// The confirming forms (the reverse page's too) carry the answers hidden: each sent back with one of them hostile is read and checked again, never
    /// a 500 nor an error logged, and one refused (shown again, or a 4xx) wrote nothing.
    /// </summary>
    [Fact]
    public async Task ConfirmingForms_WithAHiddenAnswerChanged_AreCheckedAgain_NeverA500_AndARefusalWritesNothing()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        await s.AllocateEachAsync("action-plan", "50.00"); // the reverse page's to take back
        var allocation = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'");
        var forms = new (string Url, Dictionary<string, string> Fields)[]
        {
            // first: once reversed (a hostile reason can be a good one), the entry is refused as reversed already, writing nothing
            ($"/admin/entries/{allocation}/reverse", new()
            {
                ["reason"] = "Wrong schools", ["valueDate-day"] = "2", ["valueDate-month"] = "9", ["valueDate-year"] = "2026",
            }),
            ($"/admin/allocations/fund?yearId={s.YearId}", new() { ["amount"] = "10.00", ["description"] = "Grant" }),
            ($"/admin/allocations/new?yearId={s.YearId}", new()
            {
                ["categoryId"] = s.Categories["staff-cover"].ToString(), ["schools"] = $"area-{s.AreaIds[0]}", ["method"] = "split", ["amount"] = "10.00",
            }),
            ($"/admin/allocations/school?yearId={s.YearId}", new()
            {
                ["schoolId"] = s.Schools[1].Id.ToString(), ["categoryId"] = s.Categories["staff-cover"].ToString(), ["amount"] = "10.00",
            }),
            ($"/admin/allocations/virement?yearId={s.YearId}", new()
            {
                ["fromSchoolId"] = s.Schools[0].Id.ToString(), ["fromCategoryId"] = s.Categories["staff-cover"].ToString(),
                ["toSchoolId"] = s.Schools[1].Id.ToString(), ["toCategoryId"] = s.Categories["staff-cover"].ToString(), ["amount"] = "1.00", ["reason"] = "r",
            }),
        };
        string[] hostile = ["", "\u0000", "-1", "1e400", "99999999999999999999", "2026-02-30", new string('x', 5000), "<script>alert(1)</script>", "0"];
        var failures = new List<string>();
        foreach (var (url, given) in forms)
        {
            var (_, action, fields) = await CheckAsync(page, url, given);
            foreach (var name in fields.Select(f => f.Key).Where(n => n is not (PageFormFuzzTests.Token or GrantLedger.Web.Pages.GovPage.FormKeyField)).Distinct())
                foreach (var value in hostile)
                {
                    var sent = fields.Select(f => new KeyValuePair<string, string>(f.Key,
                        f.Key == name ? value : f.Key == GrantLedger.Web.Pages.GovPage.FormKeyField ? Guid.NewGuid().ToString("N") : f.Value)).ToList();
                    var (before, errors) = (await Written.FingerprintAsync(Db), ServerErrors.Logged);
                    using var answer = await ConfirmAsync(page, action, sent);
                    var status = (int)answer.StatusCode;
                    if (status >= 500 || ServerErrors.Logged != errors) failures.Add($"{action} {name}={value[..Math.Min(20, value.Length)]} → {status}\n{ServerErrors.Recent()}");
                    else if (status is 200 or >= 400 && await Written.FingerprintAsync(Db) != before) failures.Add($"{action} {name}={value[..Math.Min(20, value.Length)]} → {status}, refused, but something was written");
                }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    private static List<string[]> Rows(string html, string table) => PageTables.Rows(PageTables.Table(html, table)).Select(PageTables.Cells).ToList();

}
