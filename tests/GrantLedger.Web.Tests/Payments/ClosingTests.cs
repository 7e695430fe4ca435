using System.Net;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

public sealed class ClosingTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>A year that has ended, whatever today is: half-terms and years are closed only after their last day.</summary>
    private const string Ended = "2025-26";

    private static string Periods(ClaimWorld w, string code) =>
        $"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods[code]}/close";

    [Fact]
    public async Task ClosePeriod_InOrder_ThenPostingsDatedInsideItAre409_AndLaterOnesStillPost()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync(Periods(w, "aut2"), null)).ExpectProblem(HttpStatusCode.Conflict, rule: "earlier-period-open");
        (await w.Admin.PostAsync(Periods(w, "aut1"), null)).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal("half-term 999999 was not found", (await finance.PostAsync(Periods(w, "aut1").Replace($"/periods/{w.Periods["aut1"]}/", "/periods/999999/"), null))
            .ExpectProblem(HttpStatusCode.NotFound).Json["detail"]!.GetValue<string>());
        var closed = (await finance.PostAsync(Periods(w, "aut1"), null)).Expect(HttpStatusCode.OK).Json;
        Assert.True(closed["closed"]!.GetValue<bool>());
        (await finance.PostAsync(Periods(w, "aut1"), null)).ExpectProblem(HttpStatusCode.Conflict, rule: "period-closed");

        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            valueDate = "2025-10-01", lines = new[] { new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("staff-cover"), amount = "1.00" } },
        })).ExpectProblem(HttpStatusCode.Conflict);
        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            valueDate = "2025-11-02", lines = new[] { new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("staff-cover"), amount = "1.00" } },
        })).Expect(HttpStatusCode.Created);

        // Not even a script can post into it, nor reopen it.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("WITH u AS (UPDATE period SET closed_at = NULL WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", w.Periods["aut1"]));
    }

    [Fact]
    public async Task CloseYear_LapsesOneCategory_CarriesAnotherForward_ByOneEntryThatSaysWhich()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await w.S.FinanceAsync(Db);
        var next = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var close = $"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close";

        // A claim awaiting a decision holds the year open.
        var pending = await w.UnderReviewAsync();
        (await finance.PostAsync(close, new { rules = Array.Empty<object>() })).ExpectProblem(HttpStatusCode.Conflict, rule: "claims-undecided");
        (await w.Lead.PostAsync($"/api/v1/claims/{pending}/approve", null)).Expect(HttpStatusCode.OK);

        // Every category with money left must be given a treatment.
        (await finance.PostAsync(close, new { rules = new[] { new { categoryId = w.Category("staff-cover"), treatment = "lapse" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "rules");
        (await finance.PostAsync(close, new { rules = new[] { new { categoryId = w.Category("staff-cover"), treatment = "spend" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "rules[0].treatment");

        var rules = new[]
        {
            new { categoryId = w.Category("staff-cover"), treatment = "lapse" },
            new { categoryId = w.Category("tlr-admin"), treatment = "carry-forward" },
            new { categoryId = w.Category("action-plan"), treatment = "lapse" },
            new { categoryId = w.Category("contact-time"), treatment = "carry-forward" },
        };
        (await finance.PostAsync(close, new { rules })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "nextYearId");
        var report = (await finance.PostAsync(close, new { rules, nextYearId = next })).Expect(HttpStatusCode.OK).Json;
        var lines = report["lines"]!.AsArray().ToDictionary(l => l!["categoryId"]!.GetValue<long>());
        Assert.Equal("3750.00", lines[w.Category("staff-cover")]!["amount"]!.GetValue<string>()); // 4 × £1,000 less the £250 approved
        Assert.Equal("2000.00", lines[w.Category("tlr-admin")]!["amount"]!.GetValue<string>());
        var entryId = report["entryId"]!.GetValue<long>();
        var entry = (await w.S.Root.GetAsync($"/api/v1/journal-entries/{entryId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("year_end", entry["causeType"]!.GetValue<string>().Replace('-', '_'));
        Assert.Contains("lapses", entry["description"]!.GetValue<string>());
        Assert.Contains("carries forward to 2026-27", entry["description"]!.GetValue<string>());

        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "available"))["balance"]!.GetValue<string>());
        Assert.Equal("0.00", (await w.AccountAsync(0, "tlr-admin", "available"))["balance"]!.GetValue<string>());
        Assert.Equal("500.00", (await w.S.AccountAsync($"{w.S.Code}:2026-27:school:{w.S.Schools[0].Urn}:tlr-admin:available"))["balance"]!.GetValue<string>());
        Assert.Equal("1800", (await w.S.AccountAsync($"{w.S.Code}:2026-27:school:{w.S.Schools[0].Urn}:contact-time:available", "MIN"))["balance"]!.GetValue<string>()); // 2,250 less the 450 minutes used
        // The approved claim stays payable: the year's payables are untouched.
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());

        (await finance.PostAsync(close, new { rules, nextYearId = next })).ExpectProblem(HttpStatusCode.Conflict, rule: "year-closed");
        (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            valueDate = "2026-03-01", lines = new[] { new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("staff-cover"), amount = "1.00" } },
        })).ExpectProblem(HttpStatusCode.Conflict);
        var tb = (await w.S.Root.GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
    }

    /// <summary>
    /// A closed half-term's and year's times are their audit events' (AuditTrailTimes): a half-term closed alone, and the
    /// year's others with it, read closed by the service's clock, after their events' transaction time.
    /// </summary>
    [Fact]
    public async Task AClosedHalfTermsAndYearsTimes_AreTheirAuditEvents()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync(Periods(w, "aut1"), null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        var rules = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => new { categoryId = w.Category(c), treatment = "lapse" });
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close", new { rules })).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM period WHERE programme_year_id = $1 AND closed_at IS NULL", w.S.YearId));
    }

    /// <summary>
    /// A claim submitted in the year and decided after it (here: reserved on 20 July, released on 5 September) came free
    /// only after the year's last day: as of that day the school had that much less unspent. The year end lapses what was
    /// unspent then, dated the last day, and what came free since on the day the year is closed, so that no budget is
    /// below nought as of any day (migration 0069 refuses that).
    /// </summary>
    [Fact]
    public async Task CloseYear_AfterAReservationOfTheYearWasReleasedAfterIt_LapsesWhatCameFreeSinceOnTheDayItCloses()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await w.S.FinanceAsync(Db);
        var available = await ReservedInTheYearAndReleasedAfterItAsync(w);

        var rules = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => new { categoryId = w.Category(c), treatment = "lapse" }).ToArray();
        var report = (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close", new { rules }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal("4000.00", report["lines"]!.AsArray().Single(l => l!["categoryId"]!.GetValue<long>() == w.Category("staff-cover"))!["amount"]!.GetValue<string>());
        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "available"))["balance"]!.GetValue<string>());
        // £700 lapsed dated 31 August, the £300 released on 5 September dated the day the year closed
        Assert.Equal(70000, await Db.ScalarAsync($"SELECT sum(t.amount) FROM transfer t JOIN journal_entry j ON j.id = t.entry_id WHERE j.cause_type = 'year_end' AND t.debit_account_id = {available} AND t.value_date = '2026-08-31'"));
        Assert.Equal(30000, await Db.ScalarAsync($"SELECT sum(t.amount) FROM transfer t JOIN journal_entry j ON j.id = t.entry_id WHERE j.cause_type = 'year_end' AND t.debit_account_id = {available} AND t.value_date = $1", UkTime.Today));
        Assert.Equal(0, await Db.ScalarAsync($"SELECT credits_posted - debits_posted - debits_pending FROM account_balances_as_of({w.S.ProgrammeId}, '2026-08-31') WHERE account_id = {available}"));
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'year_end'"));
    }

    [Fact]
    public async Task CloseHalfTermOrYear_BeforeItsLastDayHasPassed_Returns409_SayingFromWhen_AndChangesNothing()
    {
        // The year under way today, and the next: neither has ended, nor has the next one's first half-term.
        var today = UkTime.Today;
        var starts = today.Month >= 9 ? today.Year : today.Year - 1;
        var s = await Scenario.CreateAsync(Db, 1, 1, year: $"{starts}-{(starts + 1) % 100:00}");
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var nextId = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = $"{starts + 1}-{(starts + 2) % 100:00}" }))
            .Expect(HttpStatusCode.Created).Id;
        var years = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray();
        var aut1 = years.Single(y => y!["id"]!.GetValue<long>() == nextId)!["periods"]![0]!;
        var finance = await s.FinanceAsync(Db);
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");

        var year = (await finance.PostAsync($"{s.Year}/close", new { rules = new[] { new { categoryId = s.Categories["staff-cover"], treatment = "lapse" } } }))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "year-not-ended").Json;
        Assert.Equal($"{starts + 1}-09-01", year["closableFrom"]!.GetValue<string>());
        Assert.Contains($"can be closed from 1 September {starts + 1}", year["detail"]!.GetValue<string>());

        var period = (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years/{nextId}/periods/{aut1["id"]}/close", null))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "period-not-ended").Json;
        var from = DateOnly.Parse(aut1["endsOn"]!.GetValue<string>()).AddDays(1);
        Assert.Equal(from.ToString("yyyy-MM-dd"), period["closableFrom"]!.GetValue<string>());

        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM period WHERE closed_at IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));
        Assert.Equal("100.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
    }

    /// <summary>
    /// Last year's claims and half-terms stay in reach of the finance pages while last year is open: a Summer 2 claim approved
    /// in the autumn is paid by a run of its own half-term, and last year's half-terms are closed from the page. Both pages
    /// offered the current year's only.
    /// </summary>
    [Fact]
    public async Task TheFinancePages_OfferLastYearsHalfTerms_WhileLastYearIsOpen()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var finance = await w.S.FinanceAsync(Db);
        var next = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);

        var runs = WebUtility.HtmlDecode(await page.GetStringAsync("/finance"));
        Assert.Contains($"<option value=\"{w.Periods["sum2"]}\">Summer 2 2025-26</option>", runs);
        Assert.Contains(">Autumn 1 2026-27</option>", runs);

        var periods = WebUtility.HtmlDecode(await page.GetStringAsync("/finance/periods"));
        Assert.Contains("2026-27", periods);
        Assert.Contains($"href=\"/finance/periods?yearId={w.S.YearId}\"", periods);
        var last = WebUtility.HtmlDecode(await page.GetStringAsync($"/finance/periods?yearId={w.S.YearId}"));
        Assert.Contains("2025-26", last);
        Assert.Contains("id=\"close-aut1\"", last);
        using (var closed = await page.PostAsync($"/finance/periods?yearId={w.S.YearId}", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["periodId"] = w.Periods["aut1"].ToString(), [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(last),
               })))
        {
            Assert.Equal(HttpStatusCode.Redirect, closed.StatusCode);
            Assert.Equal($"/finance/periods?yearId={w.S.YearId}", closed.Headers.Location!.OriginalString);
        }
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM period WHERE id = $1 AND closed_at IS NOT NULL", w.Periods["aut1"]));
        // a year not of the programme is not shown: the pages' page for what is missing or not yours
        using var missing = await page.GetAsync($"/finance/periods?yearId={next + 1000}");
        Assert.Equal("/forbidden?missing=1", missing.Headers.Location?.OriginalString);
    }

    /// <summary>
    /// Closing a year cannot be undone. Finance's "Check your answers" said "Lapses: £100.00 from 1 school(s)"; an admin then
    /// allocated £10 more in the year; "Close" on the page already open lapsed £110.00 from 2 schools. The page posts a
    /// fingerprint of the figures it showed, and the close refuses (409 year-end-changed) when what it would move differs,
    /// showing the new figures to check; the API's close takes the same fingerprint, and without one closes as before.
    /// </summary>
    [Fact]
    public async Task CloseYear_FromTheCheckPage_AfterTheFiguresChanged_IsRefusedShowingTheNewOnes_AndMovesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2, year: Ended);
        await s.FundAsync("1000.00");
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-01"), lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created);
        var finance = await s.FinanceAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        var check = $"/finance/year-end/check?yearId={s.YearId}&treatment-{s.Categories["staff-cover"]}=lapse";
        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(check));
        Assert.Contains("Lapses: £100.00 from 1 school<", shown);

        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-02"), lines = new[] { new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"], amount = "10.00" } },
        })).Expect(HttpStatusCode.Created);
        var (problems, html) = await PageForms.PostAsync(page, "/finance/year-end/check", HiddenFields(shown), formAt: check);
        var problem = Assert.Single(problems);
        Assert.Contains("figures have changed since they were checked", problem.Text);
        Assert.Contains("Lapses: £110.00 from 2 schools<", html); // the new figures, to check again
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'year_end'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL"));

        // The API refuses a fingerprint of other figures the same way; the page's new one closes the year.
        var close = $"{s.Year}/close";
        var rules = new[] { new { categoryId = s.Categories["staff-cover"], treatment = "lapse" } };
        var stale = HiddenFields(shown)["fingerprint"];
        var refused = (await finance.PostAsync(close, new { rules, fingerprint = stale })).ExpectProblem(HttpStatusCode.Conflict, rule: "year-end-changed").Json;
        Assert.Equal("110.00", refused["lines"]![0]!["amount"]!.GetValue<string>());
        Assert.Equal(2, refused["lines"]![0]!["schools"]!.GetValue<int>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'year_end'"));

        // The API's preview gives the same figures and fingerprint as the refusal, before anything is posted
        var preview = (await finance.GetAsync($"{s.Year}/year-end")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("110.00", preview["lines"]![0]!["amount"]!.GetValue<string>());
        Assert.Equal(2, preview["lines"]![0]!["schools"]!.GetValue<int>());
        Assert.Equal(refused["fingerprint"]!.GetValue<string>(), preview["fingerprint"]!.GetValue<string>());
        Assert.False(preview["closed"]!.GetValue<bool>());
        Assert.Empty(preview["undecidedClaims"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Root.GetAsync($"{s.Year}/year-end")).Status); // finance's figures, as the close is theirs

        var fields = HiddenFields(html);
        fields[Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(html);
        using var closed = await page.PostAsync("/finance/year-end/check", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, closed.StatusCode);
        Assert.Equal(11000, await Db.ScalarAsync("SELECT sum(amount) FROM transfer t JOIN journal_entry j ON j.id = t.entry_id WHERE j.cause_type = 'year_end'"));
        var after = (await finance.GetAsync($"{s.Year}/year-end")).Expect(HttpStatusCode.OK).Json;
        Assert.True(after["closed"]!.GetValue<bool>());
        Assert.Empty(after["lines"]!.AsArray());
        // the confirmation links the year end's entry's lines in the journal
        var entry = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'year_end'");
        var done = WebUtility.HtmlDecode(await page.GetStringAsync(closed.Headers.Location!.OriginalString));
        Assert.Contains($"href=\"/ledger/journal?programmeId={s.ProgrammeId}&entryId={entry}\">See entry {entry}'s lines in the journal</a>", done);
    }

    /// <summary>
    /// Funding, an allocation or a virement sent without a valueDate into a year that has ended was dated the year's first
    /// day (1 September 2025 for 2025-26), silently backdated; once the year was closed, the refusal named that date, which
    /// the user never sent. It is dated the year's last day instead (today while the year runs), and a refusal of a date
    /// not sent says so.
    /// </summary>
    [Fact]
    public async Task Budget_SentWithoutAValueDate_IntoAnEndedYear_IsDatedItsLastDay_AndAClosedYearsRefusalSaysTheDateWasNotSent()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2, year: Ended);
        (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "1000.00", reference = "grant" })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] }, amount = "10.00", reason = "moved",
        })).Expect(HttpStatusCode.Created);
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE value_date = '2026-08-31'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE value_date <> '2026-08-31'"));

        var finance = await s.FinanceAsync(Db);
        (await finance.PostAsync($"{s.Year}/close", new { rules = new[] { new { categoryId = s.Categories["staff-cover"], treatment = "lapse" } } }))
            .Expect(HttpStatusCode.OK);
        var refused = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "1.00" } },
        })).ExpectProblem(HttpStatusCode.Conflict, "valueDate", "period-closed").Json;
        var detail = refused["detail"]!.GetValue<string>();
        Assert.Contains("sent without a valueDate, it would be dated 31 August 2026, and that year is closed", detail);
        Assert.DoesNotContain("2025-09-01", detail);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = "2026-03-01", lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "1.00" } },
        })).ExpectProblem(HttpStatusCode.Conflict, "valueDate", "period-closed");
    }

    /// <summary>
    /// The year-end pages said "Nothing can be posted into the year afterwards" and "nothing can be posted into 2025-26 any
    /// more", and the move was "one ledger entry dated 31 August 2026". But the year's approved claims not yet paid stay
    /// payable and later payment runs pay them, and what claims decided after the last day released moves by a second entry,
    /// dated the day of the close. The pages say so, with how many claims are still to be paid and for how much, and the
    /// confirmation gives each entry with its date.
    /// </summary>
    [Fact]
    public async Task TheYearEndPages_SayApprovedClaimsStayPayable_AndGiveEachEntryWithItsDate()
    {
        var w = await ClaimWorld.CreateAsync(Db, Ended);
        var approved = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        // a reservation of the year released after its last day (as in the test above): the close's second entry
        await ReservedInTheYearAndReleasedAfterItAsync(w);
        var finance = await w.S.FinanceAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        var stillToPay = "1 approved claim of 2025-26, £250.00, is not yet paid";

        var start = WebUtility.HtmlDecode(await page.GetStringAsync($"/finance/year-end?yearId={w.S.YearId}"));
        Assert.DoesNotContain("Nothing can be posted", start);
        Assert.DoesNotContain("by one ledger entry", start);
        Assert.Contains("by a second entry dated the day you close it", start);
        Assert.Contains($"{stillToPay}: closing the year leaves it payable, and later payment runs pay it.", start);

        var choices = string.Concat(new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => $"&treatment-{w.Category(c)}=lapse"));
        var check = $"/finance/year-end/check?yearId={w.S.YearId}{choices}";
        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(check));
        Assert.DoesNotContain("Nothing can be posted", shown);
        Assert.Contains("1 claim, £250.00: it stays payable, and a later payment run pays it", shown);
        Assert.Contains("Its approved claims not yet paid stay payable.", shown);

        var fields = HiddenFields(shown);
        fields[Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(shown);
        using var closed = await page.PostAsync("/finance/year-end/check", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, closed.StatusCode);
        var done = WebUtility.HtmlDecode(await page.GetStringAsync(closed.Headers.Location!.OriginalString));
        Assert.DoesNotContain("nothing can be posted", done, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"{stillToPay}: closing the year left it payable, and later payment runs pay it.", done);
        var first = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE cause_type = 'year_end'");
        var second = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'year_end'");
        Assert.NotEqual(first, second);
        Assert.Contains($"Ledger entries<br><strong id=\"entry\">{first} and {second}</strong>", done);
        Assert.Contains($"Entry {first}, dated 31 August 2026, moved what was unspent at the end of that day.", done);
        Assert.Contains($"Entry {second}, dated {UkTime.Today:d MMMM yyyy}, moved what claims decided after 31 August 2026 released.", done);
        Assert.Contains($"href=\"/ledger/journal?programmeId={w.S.ProgrammeId}&entryId={second}\">See entry {second}'s lines in the journal</a>", done);
        // and it is so: the claim stays payable, for a later run
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Status);
    }

    /// <summary>The close form's hidden fields, as a browser would post them.</summary>
    /// <summary>
    /// £300 of school 0's staff cover reserved on 20 July, in the year, and released on 5 September, after it (as a claim
    /// rejected then): written as the ledger would, so that the close has what came free since to move by its second entry.
    /// </summary>
    /// <returns>the id of school 0's staff-cover available account</returns>
    private async Task<long> ReservedInTheYearAndReleasedAfterItAsync(ClaimWorld w)
    {
        var available = (await w.AccountAsync(0, "staff-cover", "available"))["id"]!.GetValue<long>();
        var other = (await w.AccountAsync(1, "staff-cover", "available"))["id"]!.GetValue<long>();
        var hold = await Db.ScalarAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ({w.S.ProgrammeId}, '2026-07-20', 'a claim reserved in the year', 'claim')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {available}, {other}, 30000, 'pending', value_date, recorded_at FROM e RETURNING id
            """);
        await Db.ScalarAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ({w.S.ProgrammeId}, '2026-09-05', 'rejected after the year', 'claim')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {available}, {other}, 30000, 'void_pending', {hold}, value_date, recorded_at FROM e RETURNING id
            """);
        return available;
    }

    private static Dictionary<string, string> HiddenFields(string html)
    {
        var form = System.Text.RegularExpressions.Regex.Match(html, "<form method=\"post\" novalidate>.*?</form>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        return System.Text.RegularExpressions.Regex.Matches(form, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
            .Where(m => m.Groups[1].Value != Security.PageFormFuzzTests.Token)
            .ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
    }
}
