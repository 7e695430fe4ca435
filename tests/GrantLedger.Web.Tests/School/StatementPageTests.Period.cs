using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Web.Tests.Exports;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.School;

/// <summary>
/// A school business manager reconciling against their own books reads the statement month by month or term by term: a
/// period (from, to) opens with what was brought forward, lists the period's movements only and closes with the figures
/// as of its end, for money and staff time, on the page and in both CSVs.
/// </summary>
public sealed partial class StatementPageTests
{
    /// <summary>
    /// <see cref="SchoolWithClaimsAsync"/>, and on 15 October £30.00 more action plan and a day (450 minutes) more contact time
    /// for school 0; £7.00 and 45 minutes for school 1 the same day.
    /// </summary>
    private static async Task<(ClaimWorld W, long A, long B, long C, long Other)> SchoolWithAMidOctoberAllocationAsync(DatabaseFixture db)
    {
        var world = await SchoolWithClaimsAsync(db);
        var (w, s) = (world.W, world.W.S);
        (await s.Root.PostAsync($"{s.Year}/funding", new { unit = "MIN", minutes = 495, reference = "more time", valueDate = s.On("10-15") }))
            .Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-15"), description = "mid-term top-up",
            lines = new[]
            {
                new { schoolId = s.Schools[0].Id, categoryId = w.Category("action-plan"), amount = "30.00" },
                new { schoolId = s.Schools[1].Id, categoryId = w.Category("action-plan"), amount = "7.00" },
            },
        })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-15"), description = "mid-term time",
            lines = new[]
            {
                new { schoolId = s.Schools[0].Id, categoryId = w.Category("contact-time"), minutes = 450L },
                new { schoolId = s.Schools[1].Id, categoryId = w.Category("contact-time"), minutes = 45L },
            },
        })).Expect(HttpStatusCode.Created);
        return world;
    }

    [Fact]
    public async Task APeriod_OpensWithWhatWasBroughtForward_ListsOnlyItsMovements_AndClosesAsOfItsEnd()
    {
        var (w, a, b, c, other) = await SchoolWithAMidOctoberAllocationAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        // as the page's own form sends it: GOV.UK date inputs
        var html = await Read(page, $"/school/statement?year={w.S.YearId}&from-day=1&from-month=10&from-year=2026&to-day=31&to-month=10&to-year=2026");

        var rows = Rows(Table(html, "statement")).Select(Cells).ToList();
        var broughtForward = rows.TakeWhile(r => r[1] == "Brought forward").ToList();
        Assert.All(broughtForward, r => Assert.Equal("1 October 2026", r[0]));
        Assert.Equal(new Dictionary<string, string> { ["staff-cover"] = "+£1,000.00", ["TLR and admin"] = "+£500.00", ["action-plan"] = "+£500.00" },
            broughtForward.ToDictionary(r => r[2], r => r[4]));
        Assert.Equal("£2,000.00", broughtForward[^1][5]);
        //              date               what happened                  category       amount    change    available
        Assert.Equal(new[] { new[] { "15 October 2026", "Allocation for action-plan", "action-plan", "£30.00", "+£30.00", "£2,030.00" } },
            rows.Skip(broughtForward.Count).ToArray());
        foreach (var claim in new[] { a, b, c, other }) Assert.DoesNotContain(Ref(claim), html); // submitted today, after the period
        Assert.DoesNotContain("£7.00", html); // school 1's allocation the same day

        // the closing figures are as of the period's end, and say so: no longer the dashboard's
        var closing = Table(html, "closing");
        Assert.Contains("as of 31 October 2026", closing);
        Assert.Equal(new Dictionary<string, string> { ["staff-cover"] = "£1,000.00", ["TLR and admin"] = "£500.00", ["action-plan"] = "£530.00" },
            Rows(closing).ToDictionary(r => Cells(r)[0], r => Cells(r)[1]));
        Assert.Equal("£2,030.00", Cells(Regex.Match(closing, "<tfoot.*?</tfoot>", RegexOptions.Singleline).Value)[1]);
        Assert.Contains("not necessarily", html);

        // staff time the same way (the world's five days are allocated today, after the period: nothing brought forward)
        var time = Rows(Table(html, "time-statement")).Select(r => Cells(r)[1..]).ToArray();
        Assert.Equal(new[] { new[] { "Allocation for contact-time", "contact-time", "1 day", "+1 day", "1 day" } }, time);
        Assert.Contains("as of 31 October 2026", Table(html, "time-closing"));
        Assert.Equal("1 day", Cells(Rows(Table(html, "time-closing")).Single())[1]);
        // and from the day after: a day brought forward, then today's
        var later = Rows(Table(await Read(page, $"/school/statement?from={w.S.On("10-16")}"), "time-statement")).Select(r => Cells(r)[1..]).ToArray();
        Assert.Equal(new[] { "Brought forward", "contact-time", "1 day", "+1 day", "1 day" }, later[0]);
        Assert.Equal(new[] { "Allocation for contact-time", "contact-time", "5 days", "+5 days", "6 days" }, later[1]);
        Assert.Equal(7, later.Length); // and the three claims' five movements of staff time

        // the form keeps the period, and both CSVs are linked for it
        Assert.Contains("name=\"from-day\" type=\"text\" inputmode=\"numeric\" value=\"1\"", html);
        Assert.Contains($"href=\"/school/statement.csv?year={w.S.YearId}&from=2026-10-01&to=2026-10-31\"", html);
        Assert.Contains($"href=\"/school/time-statement.csv?year={w.S.YearId}&from=2026-10-01&to=2026-10-31\"", html);
    }

    [Fact]
    public async Task TheWholeYear_HasNoBroughtForward_AndAPeriodFromTheYearsStartHasNone()
    {
        var (w, _, _, _, _) = await SchoolWithAMidOctoberAllocationAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var whole = await Read(page, "/school/statement");
        var fromTheStart = await Read(page, $"/school/statement?from={w.S.On("09-01")}");
        foreach (var html in new[] { whole, fromTheStart })
        foreach (var table in new[] { "statement", "time-statement" })
            Assert.DoesNotContain(Rows(Table(html, table)), r => Cells(r)[1] == "Brought forward");
        Assert.Equal(Rows(Table(whole, "statement")).Select(Cells), Rows(Table(fromTheStart, "statement")).Select(Cells));
        Assert.DoesNotContain("as of", Table(whole, "closing"));
        Assert.DoesNotContain("not necessarily", whole);
        Assert.Contains("href=\"/school/time-statement.csv?year=", whole);
    }

    /// <summary>
    /// For periods in and around the year's movements, each CSV's brought-forward is the year's earlier rows per category, its
    /// other rows are the year's rows in the period with the same running figures, and brought forward + the period's changes
    /// = the year's rows up to its end, per category: to the penny for money, to the minute for staff time. The page's closing
    /// figures say the same.
    /// </summary>
    [Fact]
    public async Task APeriodsBroughtForward_PlusItsChanges_IsItsClosing_ToThePennyAndToTheMinute()
    {
        var (w, _, _, _, _) = await SchoolWithAMidOctoberAllocationAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var today = UkTime.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var wholeMoney = await CsvAsync(page, "/school/statement.csv");
        var wholeTime = await CsvAsync(page, "/school/time-statement.csv");
        Assert.Contains(wholeMoney, r => r[0] == w.S.On("10-15")); // the periods below cut through movements
        Assert.Contains(wholeTime, r => r[0] == w.S.On("10-15"));

        foreach (var (from, to) in new (string?, string?)[]
                 {
                     (w.S.On("09-01"), w.S.On("09-30")), (w.S.On("10-01"), w.S.On("10-31")), (w.S.On("10-15"), w.S.On("10-15")),
                     (w.S.On("10-16"), today), (today, today), (w.S.On("09-02"), null), (null, w.S.On("10-14")),
                 })
        {
            var query = string.Join("&", new[] { from is null ? null : $"from={from}", to is null ? null : $"to={to}" }.OfType<string>());
            var html = await Read(page, "/school/statement?" + query);
            foreach (var (url, whole, table, parse) in new (string, string[][], string, Func<string, decimal>)[]
                     {
                         ("/school/statement.csv", wholeMoney, "closing", PagePounds),
                         ("/school/time-statement.csv", wholeTime, "time-closing", PageMinutes),
                     })
            {
                var said = $"{url}?{query}";
                var rows = await CsvAsync(page, $"{url}?{query}");
                Assert.Equal(whole[0], rows[0]);
                var year = whole[1..];
                var broughtForward = rows[1..].TakeWhile(r => r[1] == "Brought forward").ToArray();
                var period = rows[(1 + broughtForward.Length)..];
                bool Before(string[] r) => from is not null && string.CompareOrdinal(r[0], from) < 0;
                bool After(string[] r) => to is not null && string.CompareOrdinal(r[0], to) > 0;

                Assert.Equal(year.Where(Before).GroupBy(r => r[2]).ToDictionary(g => g.Key, g => g.Sum(r => decimal.Parse(r[4], CultureInfo.InvariantCulture))),
                    broughtForward.ToDictionary(r => r[2], r => decimal.Parse(r[4], CultureInfo.InvariantCulture)));
                Assert.All(broughtForward, r => Assert.Equal(from, r[0]));
                Assert.Equal(year.Where(r => !Before(r) && !After(r)), period);

                var closing = year.Where(r => !After(r)).GroupBy(r => r[2]).ToDictionary(g => g.Key, g => g.Sum(r => decimal.Parse(r[4], CultureInfo.InvariantCulture)));
                Assert.Equal(closing, rows[1..].GroupBy(r => r[2]).ToDictionary(g => g.Key, g => g.Sum(r => decimal.Parse(r[4], CultureInfo.InvariantCulture))));
                Assert.True(rows.Length == 1 || decimal.Parse(rows[^1][5], CultureInfo.InvariantCulture) == closing.Values.Sum(), said);
                if (rows.Length == 1)
                {
                    // nothing before the period nor in it: the page leaves the table out
                    Assert.DoesNotContain($"id=\"{table}\"", html);
                    continue;
                }
                var onThePage = Rows(Table(html, table)).ToDictionary(r => Cells(r)[0], r => parse(Cells(r)[1]));
                Assert.Equal(closing, onThePage.Where(p => closing.ContainsKey(p.Key)).ToDictionary());
                Assert.All(onThePage.Where(p => !closing.ContainsKey(p.Key)), p => Assert.Equal(0, p.Value));
            }
        }
    }

    /// <summary>
    /// The staff-time CSV counts whole minutes in every number column (its header says so), with the page's words beside them;
    /// its rows are the page's, it ends at the page's time left, another school's time never appears, and no cell is a formula.
    /// </summary>
    [Fact]
    public async Task TheStaffTimeCsv_CountsWholeMinutes_AndTiesToThePage()
    {
        var (w, a, b, c, other) = await SchoolWithAMidOctoberAllocationAsync(Db);
        await Db.ScalarAsync("WITH u AS (UPDATE budget_category SET name = '=1+2' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", w.Category("contact-time"));
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, "/school/statement");
        using (var answer = await page.GetAsync($"/school/time-statement.csv?year={w.S.YearId}"))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("text/csv", answer.Content.Headers.ContentType?.MediaType);
            Assert.Contains(".csv", answer.Content.Headers.ContentDisposition?.FileNameStar ?? answer.Content.Headers.ContentDisposition?.FileName);
        }
        var rows = await CsvAsync(page, $"/school/time-statement.csv?year={w.S.YearId}");
        Assert.Equal(["Date", "What happened", "Allowance", "Time (minutes)", "Change to what is left (minutes)", "Left (minutes)", "Time"], rows[0]);
        Assert.All(rows[1..], r => Assert.All(r[3..6], cell => Assert.Matches(@"^-?\d+$", cell)));
        Assert.Equal(new[]
        {
            new[] { w.S.On("10-15"), "Allocation for =1+2", "'=1+2", "450", "450", "450", "1 day" },
            [UkTime.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "Allocation for =1+2", "'=1+2", "2250", "2250", "2700", "5 days"],
        }, rows[1..3]);
        var onThePage = Rows(Table(html, "time-statement")).Select(Cells).ToArray();
        Assert.Equal(onThePage.Length, rows.Length - 1);
        Assert.Equal(onThePage.Select(r => r[1]), rows[1..].Select(r => r[1]));
        Assert.Equal(onThePage.Select(r => r[3]), rows[1..].Select(r => r[6]));
        Assert.Equal(onThePage.Select(r => PageMinutes(r[4])), rows[1..].Select(r => decimal.Parse(r[4], CultureInfo.InvariantCulture)));
        Assert.Equal(onThePage.Select(r => PageMinutes(r[5])), rows[1..].Select(r => decimal.Parse(r[5], CultureInfo.InvariantCulture)));
        Assert.Equal(2700 - 3 * 450 + 450, long.Parse(rows[^1][5], CultureInfo.InvariantCulture)); // three days held, one released
        Assert.Equal(PageMinutes(Cells(Regex.Match(Table(html, "time-closing"), "<tfoot.*?</tfoot>", RegexOptions.Singleline).Value)[1]),
            decimal.Parse(rows[^1][5], CultureInfo.InvariantCulture));
        var text = string.Join("\n", rows.Select(r => string.Join(",", r)));
        foreach (var claim in new[] { a, b, c }) Assert.Contains(Ref(claim), text);
        Assert.DoesNotContain(Ref(other), text);
        Assert.Equal("450", Assert.Single(rows, r => r[0] == w.S.On("10-15"))[3]); // not school 1's 45 minutes that day
        Assert.DoesNotContain("£", string.Join(",", rows.SelectMany(r => r[3..6])));

        // the money's CSV is as it was: decimals with two places, no staff time
        var money = await CsvAsync(page, "/school/statement.csv");
        Assert.All(money[1..], r => Assert.All(r[3..6], cell => Assert.Matches(@"^-?\d+\.\d\d$", cell)));
        Assert.DoesNotContain(money, r => r[2] == "'=1+2");
    }

    [Fact]
    public async Task AnotherSchoolsPeriod_HasOnlyItsOwnMovements()
    {
        var (w, a, b, c, other) = await SchoolWithAMidOctoberAllocationAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName);
        var html = await Read(page, $"/school/statement?from={w.S.On("10-01")}");
        Assert.Equal(new[]
        {
            new[] { "Allocation for action-plan", "£7.00", "£2,007.00" }, [$"Claim {Ref(other)} submitted: held", "£250.00", "£1,757.00"],
        }, Rows(Table(html, "statement")).Select(Cells).Where(r => r[1] != "Brought forward").Select(r => new[] { r[1], r[3], r[5] }).ToArray());
        Assert.Equal(new[] { new[] { "15 October 2026", "Allocation for contact-time", "0.1 days" }, [UkTime.Today.ToString("d MMMM yyyy", CultureInfo.InvariantCulture), "Allocation for contact-time", "5 days"] },
            Rows(Table(html, "time-statement")).Select(Cells).Where(r => r[1].StartsWith("Allocation")).Select(r => new[] { r[0], r[1], r[3] }).ToArray());
        foreach (var url in new[] { "/school/statement.csv", "/school/time-statement.csv" })
        {
            var rows = await CsvAsync(page, $"{url}?from={w.S.On("10-01")}");
            var csv = string.Join("\n", rows.Select(r => string.Join(",", r)));
            foreach (var claim in new[] { a, b, c }) Assert.DoesNotContain(Ref(claim), csv);
            Assert.DoesNotContain("Virement", csv);
            Assert.Equal(url.Contains("time") ? "45" : "7.00", Assert.Single(rows, r => r[0] == w.S.On("10-15"))[3]);
        }
    }

    public static TheoryData<string, string, string> BadPeriods => new()
    {
        { "from-day=31&from-month=2&from-year=2027", "from", "The start date must be a real date, like 5 10 2026" },
        { "from=2026-13-01", "from", "The start date must be a real date, written like 2026-10-05" },
        { "to=yesterday", "to", "The end date must be a real date, written like 2026-10-05" },
        { "from=2026-11-01&to=2026-10-31", "to", "The end date must be the same as or after the start date" },
        { "from=2026-08-31", "from", "The start date must be in 2026-27, from 1 September 2026 to 31 August 2027" },
        { "from=2026-09-01&to=2027-09-01", "to", "The end date must be in 2026-27, from 1 September 2026 to 31 August 2027" },
        { "to=tomorrow", "to", "The end date cannot be in the future: the ledger does not know it yet" },
        { "from=tomorrow", "from", "The start date cannot be in the future: the ledger does not know it yet" },
    };

    /// <summary>A period that cannot be read or is not one of the year's days answers the page with its field named, the CSVs 400, never 500.</summary>
    [Theory]
    [MemberData(nameof(BadPeriods))]
    public async Task ABadPeriod_IsAnsweredWithItsFieldNamed_NeverA500(string query, string field, string message)
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var tomorrow = UkTime.Today.AddDays(1);
        Assert.True(tomorrow <= new DateOnly(2027, 8, 31), "tomorrow is in the year: the future is refused as the future");
        query = query.Replace("=tomorrow", "=" + tomorrow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);

        using (var answer = await page.GetAsync($"/school/statement?year={w.S.YearId}&{query}"))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            Assert.Contains("<title>Error: ", html);
            Assert.Equal([(field, message)], PageForms.Problems(html));
            Assert.Contains($"id=\"{field}-error\"", html); // the field's own message, where the summary leads
            Assert.Contains($"id=\"{field}\"", html);
            Assert.DoesNotContain("id=\"statement\"", html); // no figures that would read as the period's
        }
        foreach (var url in new[] { "/school/statement.csv", "/school/time-statement.csv" })
        {
            using var answer = await page.GetAsync($"{url}?year={w.S.YearId}&{query}");
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Equal("text/plain", answer.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"{field}: {message}", (await answer.Content.ReadAsStringAsync()).Trim());
        }
    }

    /// <summary>A CSV as Python's csv module reads it.</summary>
    private static async Task<string[][]> CsvAsync(HttpClient page, string url)
    {
        using var answer = await page.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var path = Path.Combine(ExportWorld.TempFolder(), "statement.csv");
        await File.WriteAllBytesAsync(path, await answer.Content.ReadAsByteArrayAsync());
        var (code, output, error) = await ExportWorld.RunAsync("/usr/bin/python3", "-c",
            "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))", path);
        Assert.True(code == 0, error);
        return JsonNode.Parse(output)!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToArray();
    }

    /// <summary>"-£1,030.00" as the CSV writes it: -1030.00.</summary>
    private static decimal PagePounds(string said) => decimal.Parse(said.Replace("£", "").Replace(",", ""), NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>"+1 day", "-3 hours", "6 days" as minutes; checked by saying the minutes back the page's way.</summary>
    private static decimal PageMinutes(string said)
    {
        var m = Regex.Match(said, @"^([+-]?)([\d.,]+) (day|days|hour|hours|minute|minutes)$");
        Assert.True(m.Success, $"not staff time: {said}");
        var n = decimal.Parse(m.Groups[2].Value.Replace(",", ""), CultureInfo.InvariantCulture);
        var minutes = (long)(n * (m.Groups[3].Value.StartsWith("day") ? 450 : m.Groups[3].Value.StartsWith("hour") ? 60 : 1));
        Assert.Equal(said.TrimStart('+', '-'), new Minutes(minutes).ToString());
        return m.Groups[1].Value == "-" ? -minutes : minutes;
    }
}
