using System.Globalization;
using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.School;

public sealed partial class StatementPageTests
{
    /// <summary>
    /// After 2025-26 ended, on one day: a claim of two days of staff cover (£600, 2 days of contact time) submitted, approved
    /// for one day (the other refused, releasing its £300 and its day), then the year closed, everything lapsing. The lapse is
    /// reckoned from the end of each day (£700 of staff cover and 4 days unspent on 31 August) and was told on that day, before
    /// the claim's hold, so the running figure went £300 → "submitted: held" -£300.00 → £0.00 (and 1 day → -1 day → 0 days).
    /// Told on the day the year was closed, after the claims decided before it, the year-end lines never leave the school
    /// overdrawn, the dates still run in order, and both statements end at the dashboard's figures.
    /// </summary>
    [Fact]
    public async Task AClosedYearsStatement_NeverGoesBelowNought_WhenAClaimWasSubmittedAndDecidedAfterTheYearEnded()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var claim = await w.NewClaimAsync(period: "sum2");
        await w.AddStaffTimeAsync(claim, "STAFF-01", "2026-07-06");
        await w.AddStaffTimeAsync(claim, "STAFF-02", "2026-07-07");
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/start-review", null)).Expect(HttpStatusCode.OK);
        var lines = (await w.Lead.GetAsync($"/api/v1/claims/{claim}")).Json["lines"]!.AsArray().Select(l => l!["id"]!.GetValue<long>()).ToArray();
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/approve", new { lines = new[] { new { lineId = lines[1], amount = "0.00", reason = "no timesheet" } } }))
            .Expect(HttpStatusCode.OK);
        var finance = await w.S.FinanceAsync(Db);
        var rules = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => new { categoryId = w.Category(c), treatment = "lapse" });
        (await finance.PostAsync($"{w.S.Year}/close", new { rules })).Expect(HttpStatusCode.OK);

        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = await Read(page, $"/school/statement?year={w.S.YearId}");
        var dashboard = await Read(page, $"/school?year={w.S.YearId}");
        string Said(IEnumerable<string[]> r) => string.Join("\n", r.Select(c => string.Join(" | ", c)));
        // everything lapsed: the dashboard's Available and Left are nought
        Assert.All(Rows(Table(dashboard, "budget-table")), r => Assert.Equal("£0.00", Cells(r)[5]));
        var left = Cells(Rows(Table(dashboard, "time-table")).Single())[4];
        foreach (var (table, column, closing) in new[] { ("statement", 5, "£0.00"), ("time-statement", 5, left) })
        {
            var rows = Rows(Table(html, table)).Select(Cells).ToList();
            Assert.True(rows.All(r => !r[column].StartsWith('-')), $"overdrawn in\n{Said(rows)}");
            Assert.Contains(rows, r => r[1].Contains($"CLM-{claim:000000} submitted: held"));
            Assert.Contains(rows, r => r[1].StartsWith("Year-end 2025-26") && r[1].Contains("lapsed"));
            var dates = rows.Select(r => DateOnly.ParseExact(r[0], "d MMMM yyyy", CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(dates.Order(), dates);
            Assert.Equal(closing, rows[^1][column]);
        }

        // the CSVs, for the school's books, the same
        foreach (var csv in new[] { "statement.csv", "time-statement.csv" })
        {
            var rows = (await page.GetStringAsync($"/school/{csv}?year={w.S.YearId}")).TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..]
                .Select(l => l.Split(',')).ToList();
            Assert.All(rows, r => Assert.DoesNotContain("-", r[5]));
            Assert.Equal("0" + (csv == "statement.csv" ? ".00" : ""), rows[^1][5].Trim());
        }
    }
}
