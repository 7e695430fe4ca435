using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

/// <summary>
/// A school's budget per category reads the same wherever it is shown: its dashboard, a draft claim's budget and the
/// reconciliation workbook's Schools sheet. Allocated is net of reversals, virements and lapses; Approved is claims alone.
/// </summary>
public sealed class SchoolBudgetTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// Found by a review of the demo: £3.00 allocated to a school's action plan and reversed showed on its dashboard as
    /// Allocated £5,003.00 and Approved £3.00 (the reversal's debit of the available account read as spending).
    /// </summary>
    [Fact]
    public async Task AnAllocationReversed_AndAVirementOut_AreNettedOffAllocated_AndApprovedCountsOnlyClaims()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var s = w.S;
        var allocated = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            description = "meant for another school",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = w.Category("action-plan"), amount = "3.00" } },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        (await s.Root.PostAsync($"/api/v1/journal-entries/{allocated}/reversal", new { reason = "wrong school" })).Expect(HttpStatusCode.Created);
        // a split across schools, reversed: each school's share goes back
        var split = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            split = new { categoryId = w.Category("action-plan"), amount = "0.05", schoolIds = new[] { s.Schools[0].Id, s.Schools[1].Id } },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        (await s.Root.PostAsync($"/api/v1/journal-entries/{split}/reversal", new { reason = "split by mistake" })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = w.Category("action-plan") },
            to = new { schoolId = s.Schools[0].Id, categoryId = w.Category("staff-cover") },
            amount = "20.00", reason = "more cover",
        })).Expect(HttpStatusCode.Created);
        var approved = await w.UnderReviewAsync(); // £250 of staff cover
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var dashboard = await page.GetStringAsync("/school");
        //                                          Allocated   Reserved  Approved   Paid     Available
        Assert.Equal(["£480.00", "£0.00", "£0.00", "£0.00", "£480.00"], Row(dashboard, "action-plan"));
        Assert.Equal(["£1,020.00", "£0.00", "£250.00", "£0.00", "£770.00"], Row(dashboard, "staff-cover"));

        var draft = await w.NewClaimAsync();
        var claim = (await w.School.PostAsync($"/api/v1/claims/{draft}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "10.00",
        })).Expect(HttpStatusCode.Created).Json;
        var budget = claim["budget"]!.AsArray().Single(b => b!["categoryId"]!.GetValue<long>() == w.Category("action-plan"))!;
        Assert.Equal("480.00", budget["allocated"]!.GetValue<string>());
        Assert.Equal("0.00", budget["committed"]!.GetValue<string>());
        Assert.Equal("480.00", budget["availableNow"]!.GetValue<string>());
        await w.AddStaffTimeAsync(draft, "STAFF-02", s.On("10-06"));
        claim = (await w.School.GetAsync($"/api/v1/claims/{draft}")).Expect(HttpStatusCode.OK).Json;
        budget = claim["budget"]!.AsArray().Single(b => b!["categoryId"]!.GetValue<long>() == w.Category("staff-cover"))!;
        Assert.Equal("1020.00", budget["allocated"]!.GetValue<string>());
        Assert.Equal("250.00", budget["committed"]!.GetValue<string>());

        // the workbook's Schools sheet, as of today, says the same
        var sheet = await SchoolsSheetAsync(s.ProgrammeId, s.Schools[0].Urn);
        Assert.Equal([48000L, 0L, 0L, 0L, 0L, 48000L], sheet["action-plan"]);
        Assert.Equal([102000L, 0L, 25000L, 0L, 25000L, 77000L], sheet["staff-cover"]);
    }

    /// <summary>
    /// A school's dashboard showed the current year alone: last year's budget, while its Summer 2 claims are still paid, could
    /// not be seen. It offers every year that has started, the current one first; another chosen shows that year's figures.
    /// </summary>
    [Fact]
    public async Task TheDashboard_OffersLastYear_AndShowsItsOwnFigures()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var lastYear = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2025-26" })).Expect(HttpStatusCode.Created).Id;
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var now = await page.GetStringAsync("/school");
        Assert.Matches($"<option value=\"{w.S.YearId}\" selected>2026-27</option>", now);
        Assert.Contains($"<option value=\"{lastYear}\">2025-26</option>", now);
        Assert.Equal(["£1,000.00", "£0.00", "£0.00", "£0.00", "£1,000.00"], Row(now, "staff-cover"));

        var then = await page.GetStringAsync($"/school?year={lastYear}");
        Assert.DoesNotContain("budget-table", then);
        Assert.Contains("Nothing has been allocated to your school for 2025-26 yet.", then);
        using var other = await page.GetAsync("/school?year=999999999");
        Assert.Equal("/forbidden?missing=1", other.Headers.Location?.OriginalString);
    }

    /// <summary>The money cells of the budget table's row for a category: Allocated, Reserved, Approved, Paid, Available.</summary>
    private static string[] Row(string page, string category)
    {
        var table = page[page.IndexOf("id=\"budget-table\"", StringComparison.Ordinal)..];
        var row = Regex.Match(table, $@"<th scope=""row"" class=""govuk-table__header"">{Regex.Escape(category)}</th>(.*?)</tr>", RegexOptions.Singleline);
        Assert.True(row.Success, $"no row for {category}");
        return Regex.Matches(row.Groups[1].Value, @"<td[^>]*>([^<]*)</td>").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value).Trim()).ToArray();
    }

    /// <summary>The Schools sheet's money columns (Allocated, Reserved, Approved, Paid, Payable, Available, in pence) per category of a school.</summary>
    private async Task<Dictionary<string, long[]>> SchoolsSheetAsync(long programmeId, string urn)
    {
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var tables = await Reconciliation.TablesAsync(conn, tx, programmeId, UkTime.Today, CancellationToken.None);
        var result = new Dictionary<string, long[]>();
        await foreach (var row in tables.Single(t => t.Name == "schools").Rows(CancellationToken.None))
            if ((string)row[1]! == urn && (string)row[5]! == "GBP")
                result[(string)row[4]!] = row[6..12].Select(c => (long)c!).ToArray();
        return result;
    }
}
