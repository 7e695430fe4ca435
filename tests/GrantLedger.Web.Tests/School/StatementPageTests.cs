using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Exports;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.School;

/// <summary>
/// A school's statement: the dashboard shows the year's totals per category, not how they came about. /school/statement lists
/// every movement of the school's money in its own words (never an account code), each with what it did to the money
/// available, and ends at the dashboard's available total; /school/statement.csv holds the same rows for the school's books.
/// </summary>
public sealed partial class StatementPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// School 0: the world's allocations (£1,000 staff cover, £500 TLR and admin, £500 action plan), £20 moved from action
    /// plan to staff cover, claim A submitted (£250 held), claim B approved £200 of £250, claim C submitted and withdrawn.
    /// School 1 has a claim of its own submitted.
    /// </summary>
    private static async Task<(ClaimWorld W, long A, long B, long C, long Other)> SchoolWithClaimsAsync(DatabaseFixture db)
    {
        var w = await ClaimWorld.CreateAsync(db);
        (await w.S.Root.PostAsync($"{w.S.Year}/virements", new
        {
            from = new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("action-plan") },
            to = new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("staff-cover") },
            amount = "20.00", reason = "more cover",
        })).Expect(HttpStatusCode.Created);
        var a = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(a, "STAFF-01", w.S.On("10-05"));
        (await w.SubmitAsync(a)).Expect(HttpStatusCode.OK);
        var b = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        var line = (await w.School.GetAsync($"/api/v1/claims/{b}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{b}/approve", new { lines = new[] { new { lineId = line, amount = "200.00", reason = "half a day evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var c = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(c, "STAFF-03", w.S.On("10-07"));
        (await w.SubmitAsync(c)).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/claims/{c}/withdraw", null)).Expect(HttpStatusCode.OK);
        var other = await w.NewClaimAsync(w.OtherSchool);
        await w.AddStaffTimeAsync(other, "STAFF-09", w.S.On("10-08"), school: w.OtherSchool);
        (await w.SubmitAsync(other, w.OtherSchool)).Expect(HttpStatusCode.OK);
        return (w, a, b, c, other);
    }

    private static string Ref(long claim) => $"CLM-{claim:000000}";

    [Fact]
    public async Task TheStatement_ListsEveryMovementInOrder_InTheSchoolsWords_AndEndsAtTheDashboardsAvailableTotal()
    {
        var (w, a, b, c, other) = await SchoolWithClaimsAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, "/school/statement");

        //              what happened                                                   category        amount       change        available
        Assert.Equal(new[]
        {
            new[] { "Allocation for staff-cover",                                      "staff-cover",   "£1,000.00", "+£1,000.00", "£1,000.00" },
            ["Allocation for TLR and admin",                                           "TLR and admin", "£500.00",   "+£500.00",   "£1,500.00"],
            ["Allocation for action-plan",                                             "action-plan",   "£500.00",   "+£500.00",   "£2,000.00"],
            ["Virement to staff-cover: more cover",                                    "action-plan",   "£20.00",    "-£20.00",    "£1,980.00"],
            ["Virement from action-plan: more cover",                                  "staff-cover",   "£20.00",    "+£20.00",    "£2,000.00"],
            [$"Claim {Ref(a)} submitted: held",                                        "staff-cover",   "£250.00",   "-£250.00",   "£1,750.00"],
            [$"Claim {Ref(b)} submitted: held",                                        "staff-cover",   "£250.00",   "-£250.00",   "£1,500.00"],
            [$"Claim {Ref(b)} approved £200.00 of £250.00, £50.00 released",           "staff-cover",   "£200.00",   "+£50.00",    "£1,550.00"],
            [$"Claim {Ref(c)} submitted: held",                                        "staff-cover",   "£250.00",   "-£250.00",   "£1,300.00"],
            [$"Claim {Ref(c)} withdrawn: released",                                    "staff-cover",   "£250.00",   "+£250.00",   "£1,550.00"],
        }, Rows(Table(html, "statement")).Select(r => Cells(r)[1..]).ToArray());
        Assert.All(Rows(Table(html, "statement")), r => Assert.Matches(@"^\d{1,2} \w+ \d{4}$", Cells(r)[0]));
        foreach (var claim in new[] { a, b, c }) Assert.Contains($"href=\"/school/claims/{claim}\"", html);
        Assert.DoesNotContain(Ref(other), html); // another school's claim
        Assert.DoesNotContain(":available", html); // no account code
        Assert.DoesNotContain(":payable", html);

        // the closing available is the dashboard's, to the penny: in total and per category
        var dashboard = Table(await Read(page, "/school"), "budget-table");
        var available = Rows(dashboard).ToDictionary(r => Cells(r)[0], r => Cells(r)[5]);
        Assert.Equal(new Dictionary<string, string> { ["staff-cover"] = "£570.00", ["TLR and admin"] = "£500.00", ["action-plan"] = "£480.00" }, available);
        var closing = Table(html, "closing");
        Assert.Equal(available, Rows(closing).ToDictionary(r => Cells(r)[0], r => Cells(r)[1]));
        Assert.Equal("£1,550.00", Cells(Regex.Match(closing, "<tfoot.*?</tfoot>", RegexOptions.Singleline).Value)[1]);
        Assert.Contains("href=\"/school/statement.csv?year=", html);

        // the dashboard and the navigation lead here
        Assert.Contains("href=\"/school/statement", await Read(page, "/school"));
        Assert.Contains("href=\"/school/statement\"", await Read(page, "/school/claims"));
    }

    /// <summary>
    /// The statement left staff time out ("not money"), though a school watches its allowances as closely: which claim holds
    /// which days, what an approval used and a withdrawal gave back. They are told the same way in a second table, which ends
    /// at the dashboard's Left column.
    /// </summary>
    [Fact]
    public async Task StaffTimeAllowances_AreToldTheSameWay_AndEndAtTheDashboardsLeftColumn()
    {
        var (w, a, b, c, _) = await SchoolWithClaimsAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, "/school/statement");
        var rows = Rows(Table(html, "time-statement")).Select(r => Cells(r)[1..5]).ToList();
        Assert.StartsWith("Allocation for ", rows[0][0]);
        Assert.Equal(new[]
        {
            new[] { $"Claim {Ref(a)} submitted: held", "1 day", "-1 day" },
            [$"Claim {Ref(b)} submitted: held", "1 day", "-1 day"],
            [$"Claim {Ref(b)} approved", "1 day", "0 days"], // approved for less money, the staff time stays as claimed
            [$"Claim {Ref(c)} submitted: held", "1 day", "-1 day"],
            [$"Claim {Ref(c)} withdrawn: released", "1 day", "+1 day"],
        }, rows.Where(r => r[0].StartsWith("Claim ")).Select(r => new[] { r[0], r[2], r[3] }).ToArray());
        Assert.DoesNotContain(":available", html);
        Assert.DoesNotContain(":used", html);

        // each allowance's time left at the end is the dashboard's
        var dashboard = Rows(Table(await Read(page, "/school"), "time-table")).ToDictionary(r => Cells(r)[0], r => Cells(r)[4]);
        Assert.Equal(dashboard, Rows(Table(html, "time-closing")).ToDictionary(r => Cells(r)[0], r => Cells(r)[1]));
        // and the money's CSV holds money only
        var csv = await page.GetStringAsync("/school/statement.csv");
        Assert.DoesNotContain("day", csv);
    }

    [Fact]
    public async Task ASchoolWithStaffTimeButNoMoneyYet_StillSeesItsStaffTimeAllowances()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.PostAsync($"{s.Year}/funding", new { unit = "MIN", minutes = 2250, reference = "time", valueDate = s.On("09-01") })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", new { valueDate = s.On("09-01"), each = new { categoryId = s.Categories["contact-time"], minutes = 2250, allSchools = true } }))
            .Expect(HttpStatusCode.Created);
        var school = await s.SchoolUserAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, school.UserName);

        var html = await Read(page, "/school/statement");
        Assert.Contains($"No money has been allocated to your school for {s.YearCode} yet.", html);
        Assert.DoesNotContain("id=\"statement\"", html);
        var rows = Rows(Table(html, "time-statement")).Select(Cells).ToList();
        Assert.Single(rows);
        Assert.StartsWith("Allocation for ", rows[0][1]);
        Assert.Equal("+5 days", rows[0][4]);
        // what is left ties to the dashboard's allowance, and the time CSV is offered and holds the same minutes
        var dashboard = Rows(Table(await Read(page, "/school"), "time-table")).ToDictionary(r => Cells(r)[0], r => Cells(r)[4]);
        Assert.Equal(dashboard, Rows(Table(html, "time-closing")).ToDictionary(r => Cells(r)[0], r => Cells(r)[1]));
        Assert.Contains("href=\"/school/time-statement.csv?year=", html);
        Assert.Contains("2250", await page.GetStringAsync("/school/time-statement.csv"));
    }

    [Fact]
    public async Task AnotherSchoolsStatement_ShowsOnlyItsOwnMovements()
    {
        var (w, a, b, c, other) = await SchoolWithClaimsAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName);
        var html = await Read(page, "/school/statement");
        Assert.Equal(new[]
        {
            new[] { "Allocation for staff-cover", "£1,000.00" }, ["Allocation for TLR and admin", "£1,500.00"], ["Allocation for action-plan", "£2,000.00"],
            [$"Claim {Ref(other)} submitted: held", "£1,750.00"],
        }, Rows(Table(html, "statement")).Select(r => new[] { Cells(r)[1], Cells(r)[5] }).ToArray());
        foreach (var claim in new[] { a, b, c }) Assert.DoesNotContain(Ref(claim), html);
        Assert.DoesNotContain("Virement", html);

        var csv = await (await page.GetAsync("/school/statement.csv")).Content.ReadAsStringAsync();
        foreach (var claim in new[] { a, b, c }) Assert.DoesNotContain(Ref(claim), csv);
        Assert.Contains(Ref(other), csv);
    }

    /// <summary>A claim paid reads as paid in its run, with the payment's remittance reference: the money was held when it was submitted, so what is available does not change.</summary>
    [Fact]
    public async Task APayment_ReadsAsPaidInItsRun_AndChangesNothingAvailable()
    {
        var (w, _, _, _, _) = await SchoolWithClaimsAsync(Db);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var (maker, checker) = (await w.S.FinanceAsync(Db, "maker"), await w.S.FinanceAsync(Db, "checker"));
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        (await checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        (await maker.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
        var today = GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd");
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(
            $"remittance_reference,amount,date,status\nPR{run:000000}-{w.S.Schools[0].Urn},200.00,{today},paid\n")), "file", "confirmations.csv");
        using var confirmed = await maker.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form);
        (await Answer.ReadAsync(confirmed)).Expect(HttpStatusCode.OK);

        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, "/school/statement");
        // with the remittance reference the school's bank statement shows the money by
        Assert.Equal([$"Paid in payment run PR-{run:000000}, remittance PR{run:000000}-{w.S.Schools[0].Urn}", "staff-cover", "£200.00", "£0.00", "£1,550.00"],
            Cells(Rows(Table(html, "statement")).Last())[1..]);
        var dashboard = Table(await Read(page, "/school"), "budget-table");
        Assert.Equal("£200.00", Cells(Rows(dashboard).Single(r => Cells(r)[0] == "staff-cover"))[4]); // paid
        Assert.Equal("£1,550.00", Cells(Regex.Match(Table(html, "closing"), "<tfoot.*?</tfoot>", RegexOptions.Singleline).Value)[1]);
    }

    /// <summary>
    /// Last year, closed: an allocation reversed, a claim returned and one rejected, then the year end (staff cover and action
    /// plan lapse, TLR and admin carries forward). Each reads in the school's words; last year ends at nought, as its dashboard
    /// does, and this year's statement opens with what was brought forward.
    /// </summary>
    [Fact]
    public async Task AReversal_AReturnAndARejection_AndTheYearEnd_ReadInTheSchoolsWords()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var next = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var allocated = (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            valueDate = "2026-03-01", description = "meant for another school",
            lines = new[] { new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("action-plan"), amount = "3.00" } },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        (await w.S.Root.PostAsync($"/api/v1/journal-entries/{allocated}/reversal", new { reason = "wrong school" })).Expect(HttpStatusCode.Created);
        var returned = await w.UnderReviewAsync("STAFF-01", w.S.On("10-05"));
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "attach the timesheet" })).Expect(HttpStatusCode.OK);
        var rejected = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        (await w.Lead.PostAsync($"/api/v1/claims/{rejected}/reject", new { reason = "not programme work" })).Expect(HttpStatusCode.OK);
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close", new
        {
            rules = new[]
            {
                new { categoryId = w.Category("staff-cover"), treatment = "lapse" }, new { categoryId = w.Category("tlr-admin"), treatment = "carry-forward" },
                new { categoryId = w.Category("action-plan"), treatment = "lapse" }, new { categoryId = w.Category("contact-time"), treatment = "carry-forward" },
            },
            nextYearId = next,
        })).Expect(HttpStatusCode.OK);

        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, $"/school/statement?year={w.S.YearId}");
        var rows = Rows(Table(html, "statement")).Select(Cells).ToList();
        string Said(IEnumerable<string[]> r) => string.Join("\n", r.Select(c => string.Join(" | ", c)));
        void Has(params string[] row) => Assert.True(rows.Any(r => r[1..5].SequenceEqual(row)), $"no row {string.Join(" | ", row)} in\n{Said(rows)}");
        Has("Allocation for action-plan", "action-plan", "£3.00", "+£3.00");
        Has("Allocation for action-plan reversed", "action-plan", "£3.00", "-£3.00");
        Has($"Claim {Ref(returned)} returned: released", "staff-cover", "£250.00", "+£250.00");
        Has($"Claim {Ref(rejected)} rejected: released", "staff-cover", "£250.00", "+£250.00");
        Has("Year-end 2025-26: allocation unspent on 31 August 2026 lapsed", "staff-cover", "£1,000.00", "-£1,000.00");
        Has("Year-end 2025-26: allocation unspent on 31 August 2026 carried forward to 2026-27", "TLR and admin", "£500.00", "-£500.00");
        Has("Year-end 2025-26: allocation unspent on 31 August 2026 lapsed", "action-plan", "£500.00", "-£500.00");
        var dates = rows.Select(r => DateOnly.ParseExact(r[0], "d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(dates.Order(), dates);
        Assert.Equal("£0.00", rows[^1][5]);
        Assert.Contains("2025-26 was closed on", html);
        var dashboard = Table(await Read(page, $"/school?year={w.S.YearId}"), "budget-table");
        Assert.All(Rows(dashboard), r => Assert.Equal("£0.00", Cells(r)[5]));

        var now = Rows(Table(await Read(page, "/school/statement"), "statement")).Select(r => Cells(r)[1..]).ToArray();
        Assert.Equal(new[] { new[] { "Brought forward from 2025-26", "TLR and admin", "£500.00", "+£500.00", "£500.00" } }, now);
    }

    /// <summary>The CSV as Python's csv module reads it, as Excel does (UTF-8 after its byte order mark): the page's rows, dates as yyyy-MM-dd, amounts as plain decimals, and no formula.</summary>
    [Fact]
    public async Task TheCsv_HasThePagesRows_AsPlainDecimals_AndNoFormula()
    {
        var (w, a, b, _, _) = await SchoolWithClaimsAsync(Db);
        await Db.ScalarAsync("WITH u AS (UPDATE budget_category SET name = '=SUM(1+1)' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", w.Category("tlr-admin"));
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, "/school/statement");
        using var answer = await page.GetAsync($"/school/statement.csv?year={w.S.YearId}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/csv", answer.Content.Headers.ContentType?.MediaType);
        Assert.Contains(".csv", answer.Content.Headers.ContentDisposition?.FileNameStar ?? answer.Content.Headers.ContentDisposition?.FileName);

        var path = Path.Combine(ExportWorld.TempFolder(), "statement.csv");
        await CsvDownloads.FromPageAsync(answer); // for the spreadsheet it is opened in: "£" read as "£", not "Â£"
        await File.WriteAllBytesAsync(path, await answer.Content.ReadAsByteArrayAsync());
        var (code, output, error) = await ExportWorld.RunAsync("/usr/bin/python3", "-c",
            "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig')))))", path);
        Assert.True(code == 0, error);
        var rows = JsonNode.Parse(output)!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToArray();

        Assert.Equal(["Date", "What happened", "Category", "Amount", "Change to available", "Available"], rows[0]);
        var (start, today) = (w.S.On("09-01"), GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd")); // allocations are dated the year's start
        Assert.Equal(new[]
        {
            new[] { start, "Allocation for staff-cover", "staff-cover", "1000.00", "1000.00", "1000.00" },
            [start, "Allocation for =SUM(1+1)", "'=SUM(1+1)", "500.00", "500.00", "1500.00"],
            [start, "Allocation for action-plan", "action-plan", "500.00", "500.00", "2000.00"],
            [today, "Virement to staff-cover: more cover", "action-plan", "20.00", "-20.00", "1980.00"],
            [today, "Virement from action-plan: more cover", "staff-cover", "20.00", "20.00", "2000.00"],
            [today, $"Claim {Ref(a)} submitted: held", "staff-cover", "250.00", "-250.00", "1750.00"],
            [today, $"Claim {Ref(b)} submitted: held", "staff-cover", "250.00", "-250.00", "1500.00"],
            [today, $"Claim {Ref(b)} approved £200.00 of £250.00, £50.00 released", "staff-cover", "200.00", "50.00", "1550.00"],
        }, rows[1..9]);
        Assert.Equal(Rows(Table(html, "statement")).Count(), rows.Length - 1);
        Assert.Equal("1550.00", rows[^1][5]);
        Assert.Equal(Rows(Table(html, "statement")).Select(r => Cells(r)[1]), rows[1..].Select(r => r[1]));
    }

    /// <summary>The statement and its CSV are read in as many queries for ten more rows as for none more: not one query per row.</summary>
    [Fact]
    public async Task TheStatement_IsReadInTheSameNumberOfQueries_HoweverManyRowsItHas()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        await page.GetStringAsync("/school/statement");
        var (few, fewCsv) = (await QueriesAsync(page, "/school/statement"), await QueriesAsync(page, "/school/statement.csv"));
        for (var i = 1; i <= 5; i++)
        {
            var claim = await w.NewClaimAsync();
            await w.AddStaffTimeAsync(claim, $"STAFF-0{i}", w.S.On($"10-0{i}"));
            (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);
            (await w.School.PostAsync($"/api/v1/claims/{claim}/withdraw", null)).Expect(HttpStatusCode.OK);
        }
        Assert.Equal(13, Rows(Table(await Read(page, "/school/statement"), "statement")).Count());
        Assert.InRange(few, 1, 12);
        Assert.Equal(few, await QueriesAsync(page, "/school/statement"));
        Assert.Equal(fewCsv, await QueriesAsync(page, "/school/statement.csv"));
    }

    /// <summary>The commands a page sends PostgreSQL while it answers (Npgsql's own metric), the background work's pool aside.</summary>
    private static async Task<int> QueriesAsync(HttpClient page, string url)
    {
        var count = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration") l.EnableMeasurementEvents(instrument);
        };
        void Count(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
                if (tag.Key == "db.client.connection.pool.name" && tag.Value is string pool && pool.Contains("background")) return;
            Interlocked.Increment(ref count);
        }
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => Count(tags));
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Count(tags));
        listener.Start();
        using var answer = await page.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        await answer.Content.ReadAsByteArrayAsync();
        return count;
    }

    [Fact]
    public async Task AFinanceUser_AndAnAreaLead_AreRefused_AsOnTheDashboard()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var finance = await w.S.FinanceAsync(Db);
        foreach (var user in new[] { finance.UserName, w.Lead.UserName })
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, user);
            using var dashboard = await page.GetAsync("/school");
            Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
            foreach (var url in new[] { "/school/statement", "/school/statement.csv" })
            {
                using var answer = await page.GetAsync(url);
                Assert.Equal(dashboard.StatusCode, answer.StatusCode);
                Assert.EndsWith("/forbidden", Page(answer));
                Assert.Equal(Page(dashboard), Page(answer));
            }
        }
    }

    [Fact]
    public async Task AYearNotOfTheProgramme_IsMissing_AndAYearWithNothingSaysSo()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var lastYear = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2025-26" })).Expect(HttpStatusCode.Created).Id;
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var now = await Read(page, "/school/statement");
        Assert.Contains($"<option value=\"{lastYear}\">2025-26</option>", now);
        Assert.Contains("Nothing has been allocated to your school for 2025-26 yet.", await Read(page, $"/school/statement?year={lastYear}"));
        foreach (var url in new[] { "/school/statement?year=999999999", "/school/statement.csv?year=999999999" })
        {
            using var other = await page.GetAsync(url);
            Assert.Equal("/forbidden?missing=1", other.Headers.Location?.OriginalString);
        }
        // an address changed by hand is told as such: it said "This form is out of date", of a link
        var typed = await Read(page, "/school/statement?year=abc");
        Assert.Contains("This page's address gives a year that cannot be read", typed);
        Assert.DoesNotContain("This form is out of date", typed);
    }

    private static string? Page(HttpResponseMessage answer) => answer.Headers.Location?.OriginalString.Split('?')[0];
}
