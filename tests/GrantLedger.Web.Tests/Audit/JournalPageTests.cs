using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>
/// The journal searched in a browser (/ledger/journal): the API's search (/api/v1/audit/journal) by school, area, claim,
/// payment run, user, account, value dates and amounts, shown a page at a time, with the same lines and the same CSV.
/// </summary>
public sealed class JournalPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static Task<HttpClient> PageAsync(DatabaseFixture db, string userName) => Security.PageFormFuzzTests.SignedInPageAsync(db.Factory, userName);

    /// <summary>Each line as the page shows it: entry, debit account, credit account, amount (in words), what it did.</summary>
    private static List<string[]> Lines(string html) =>
        Rows(Table(html, "journal")).Select(Cells).Select(c => new[] { Regex.Match(c[1], @"Entry (\d+)").Groups[1].Value, c[3], c[4], c[5] }).ToList();

    /// <summary>The API's lines as the page shows them.</summary>
    private static List<string[]> ApiLines(JsonNode page) =>
        page["items"]!.AsArray().Select(l => new[]
        {
            l!["entryId"]!.GetValue<long>().ToString(), l["debitAccount"]!.GetValue<string>(), l["creditAccount"]!.GetValue<string>(),
            $"{Pages.Gov.Amount(l["unit"]!.GetValue<string>(), l["amount"]!.GetValue<string>())} {Pages.Ledger.JournalModel.Kind(l["kind"]!.GetValue<string>())}",
        }).ToList();

    private static string Day(string field, DateOnly d) => $"{field}-day={d.Day}&{field}-month={d.Month}&{field}-year={d.Year}";

    [Fact]
    public async Task AClaimsLines_AreTheApis_HeldThenPostedForLess_WithTheClaimLinked()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var line = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId = line, amount = "200.00", reason = "half a day evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        var html = await Read(page, $"/ledger/journal?programmeId={w.S.ProgrammeId}&claimId={id}");
        var api = ApiLines((await auditor.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&claimId={id}")).Expect(HttpStatusCode.OK).Json);
        Assert.Equal(api, Lines(html));
        // the hold of £250 and £200 of it posted (the rest released by the posting), and the day of staff time held and posted
        Assert.Equal(["£250.00 Held", "450 minutes Held", "£200.00 Hold posted", "450 minutes Hold posted"], Lines(html).Select(l => l[3]).ToArray());
        Assert.Contains($"<a class=\"govuk-link\" href=\"/ledger/claims/{id}\">Claim CLM-{id:D6}</a>", html);
        Assert.Contains($"Lines with the value date {GrantLedger.Core.Ledger.UkTime.Today:d MMM yyyy}</caption>", html);
        Assert.Contains($"href=\"/ledger?programmeId={w.S.ProgrammeId}&prefix={Uri.EscapeDataString(w.S.SchoolAccount(0, "staff-cover", "available"))}\"", html);
    }

    /// <summary>
    /// Every page names a claim by its reference, CLM-000042, which the journal's Claim field refused ("The claim ID must be
    /// a number, like 42"): an auditor had to read the number out of a link's address. It takes the reference, in any
    /// case, and finds the lines the number finds.
    /// </summary>
    [Fact]
    public async Task AClaimsReference_AsThePagesGiveIt_FindsItsLines_AsItsNumberDoes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        var byNumber = Lines(await Read(page, $"/ledger/journal?programmeId={w.S.ProgrammeId}&claimId={id}"));
        Assert.NotEmpty(byNumber);
        var reference = GrantLedger.Web.Claims.ClaimAccess.Reference(id);
        var html = await Read(page, $"/ledger/journal?programmeId={w.S.ProgrammeId}&claimId={reference}");
        Assert.Empty(PageForms.Problems(WebUtility.HtmlDecode(html)));
        Assert.Equal(byNumber, Lines(html));
        Assert.Contains($"value=\"{reference}\"", html); // kept as typed
        Assert.Equal(byNumber, Lines(await Read(page, $"/ledger/journal?programmeId={w.S.ProgrammeId}&claimId={reference.ToLowerInvariant()}")));
    }

    /// <summary>
    /// An entry by its number (the exports and hledger give it): its lines alone, the API's and the page's alike; a reversal's
    /// line links the entry it reverses, and the admin's confirmation of the reversal links the reversal's own lines.
    /// </summary>
    [Fact]
    public async Task AnEntrysNumber_NarrowsItToThatEntrysLines_AsTheApiDoes_AndAReversalLinksTheEntryItReverses()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var allocation = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'");
        var admin = await s.ProgrammeAdminAsync(Db);
        var reversal = (await admin.PostAsync($"/api/v1/journal-entries/{allocation}/reversal", new { reason = "Wrong amount" }))
            .Expect(HttpStatusCode.Created).Json["id"]!.GetValue<long>();
        using var page = await PageAsync(Db, admin.UserName);

        foreach (var entry in new[] { allocation, reversal })
        {
            var html = await Read(page, $"/ledger/journal?programmeId={s.ProgrammeId}&entryId={entry}");
            var api = ApiLines((await admin.GetAsync($"/api/v1/audit/journal?programmeId={s.ProgrammeId}&entryId={entry}")).Expect(HttpStatusCode.OK).Json);
            Assert.Equal(api, Lines(html));
            Assert.Equal(2, api.Count); // one school each of the two areas
            Assert.All(Lines(html), l => Assert.Equal(entry.ToString(), l[0]));
        }
        var reversed = await Read(page, Pages.Ledger.JournalModel.EntryHref(s.ProgrammeId, reversal));
        Assert.Contains($"reverses <a class=\"govuk-link\" href=\"/ledger/journal?programmeId={s.ProgrammeId}&entryId={allocation}\">entry {allocation}</a>", reversed);
        var done = await Read(page, $"/admin/allocations/done/{reversal}");
        Assert.Contains($"href=\"/ledger/journal?programmeId={s.ProgrammeId}&entryId={reversal}\">See entry {reversal}", done);
        Assert.Contains($"href=\"/ledger/journal?programmeId={s.ProgrammeId}&entryId={allocation}\">Entry {allocation}</a>", done);
        // a number of no entry of the programme finds nothing
        Assert.Contains("id=\"no-lines\"", await Read(page, $"/ledger/journal?programmeId={s.ProgrammeId}&entryId=999999"));
    }

    [Fact]
    public async Task ASchoolsUrnAndValueDates_NarrowItAsTheApiDoes_AndAnUnknownUrnIsNamed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        (await w.SubmitAsync(await w.DraftOnActionAsync(w.Actions[0], "INV-1"))).Expect(HttpStatusCode.OK);
        var admin = w.Admin;
        using var page = await PageAsync(Db, admin.UserName);
        var urn = w.S.Schools[1].Urn;
        var from = DateOnly.Parse(w.S.On("09-01"));

        var html = await Read(page, $"/ledger/journal?urn={urn}&{Day("from", from)}&{Day("to", from)}");
        var api = ApiLines((await admin.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&schoolId={w.S.Schools[1].Id}&from={from:yyyy-MM-dd}&to={from:yyyy-MM-dd}"))
            .Expect(HttpStatusCode.OK).Json);
        Assert.Equal(api, Lines(html));
        Assert.Equal(3, api.Count); // its three allocations of money on 1 September (its staff time is allocated today), not school 0's submission
        Assert.All(Lines(html), l => Assert.Contains($":school:{urn}:", l[1] + l[2]));
        Assert.Contains($"Lines with the value date {from:d MMM yyyy}</caption>", html);

        var unknown = await Read(page, "/ledger/journal?urn=999999");
        Assert.Contains("No school of this programme has the URN 999999", unknown);
        Assert.DoesNotContain("id=\"journal\"", unknown);
        // another programme's school is not found by its URN either
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        Assert.Contains($"No school of this programme has the URN {other.Schools[0].Urn}", await Read(page, $"/ledger/journal?urn={other.Schools[0].Urn}"));
    }

    [Fact]
    public async Task TheNextPageLinks_ReachEveryLineOnce_InTheApisOrder_AndLinesPostedMeanwhileWaitForANewSearch()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);
        var all = ApiLines((await auditor.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&limit=1000")).Expect(HttpStatusCode.OK).Json);
        Assert.True(all.Count > 8);

        var seen = new List<string[]>();
        var pages = 0;
        string? next = $"/ledger/journal?programmeId={w.S.ProgrammeId}&limit=4";
        while (next is not null)
        {
            var html = await Read(page, next);
            seen.AddRange(Lines(html));
            next = Regex.Match(html, "href=\"([^\"]+)\" rel=\"next\"") is { Success: true } link ? link.Groups[1].Value : null;
            if (pages++ == 0)
                // a virement dated the year's first day, posted after the first page was read: it sorts after that page's last line
                (await w.S.Root.PostAsync($"{w.S.Year}/virements", new
                {
                    valueDate = w.S.On("09-01"),
                    from = new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("action-plan") },
                    to = new { schoolId = w.S.Schools[0].Id, categoryId = w.Category("staff-cover") },
                    amount = "20.00", reason = "more cover",
                })).Expect(HttpStatusCode.Created);
            if (next is not null) Assert.Contains("limit=4", next);
        }
        Assert.Equal(all, seen);
        Assert.Equal((all.Count + 3) / 4, pages);
        // a new search counts it
        var again = ApiLines((await auditor.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&limit=1000")).Expect(HttpStatusCode.OK).Json);
        Assert.Equal(all.Count + 1, again.Count);
    }

    [Fact]
    public async Task AsCsv_ItHasTheApisRowsForTheSameFilters()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        using var answer = await page.GetAsync($"/ledger/journal?handler=csv&programmeId={w.S.ProgrammeId}&claimId={id}&amountMin=100&amountMax=1%2C000.00");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/csv", answer.Content.Headers.ContentType?.MediaType);
        string[] Data(string csv) => csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).SkipWhile(l => l.StartsWith('#')).ToArray();
        var fromPage = Data(await CsvDownloads.FromPageAsync(answer));
        var fromApi = Data(await CsvDownloads.FromApiAsync(auditor.Http,
            $"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&claimId={id}&amountMin=100.00&amountMax=1000.00&format=csv"));
        Assert.Equal(string.Join(",", JournalSearch.CsvHeader), fromPage[0]);
        Assert.Equal(2, fromPage.Length); // the header and the claim's £250 hold (its day of staff time is no amount of pounds)
        Assert.Equal(fromApi, fromPage);
        Assert.Contains("/ledger/journal?handler=csv&amp;programmeId=", await page.GetStringAsync($"/ledger/journal?programmeId={w.S.ProgrammeId}"));
    }

    [Theory]
    [InlineData("amountMin=12.345", "amountMin", "The smallest amount must have at most two decimal places")]
    [InlineData("amountMin=300&amountMax=200", "amountMax", "The largest amount must not be less than the smallest")]
    [InlineData("unit=MIN&amountMin=1.5", "amountMin", "The smallest amount must be whole minutes")]
    [InlineData("unit=EUR", "unit", "Select the unit from the list")]
    [InlineData("from-day=4&from-month=12&from-year=2026&to-day=3&to-month=12&to-year=2026", "to", "The last value date must be the same as or after the first")]
    [InlineData("from-day=31&from-month=2&from-year=2026", "from", "The first value date must be a real date")]
    [InlineData("claimId=abc", "claimId", "The claim must be its reference, like CLM-000042, or its number, like 42")]
    [InlineData("paymentRunId=PR-abc", "paymentRunId", "The payment run must be its reference, like PR-000042, or its number, like 42")]
    [InlineData("entryId=1.5", "entryId", "The entry number must be a number")]
    [InlineData("areaId=x", "areaId", "")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor", "This page's link is out of date")]
    [InlineData("recordedBy=yesterday", "recordedBy", "This page's link is out of date")]
    [InlineData("limit=5000", "limit", "The number of lines a page must be between 1 and 1,000")]
    public async Task AFilterItCannotRead_IsNamedInAnErrorSummary_AndNoLinesAreShown(string query, string field, string message)
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);
        foreach (var url in field == "limit" ? [$"/ledger/journal?{query}"] : new[] { $"/ledger/journal?{query}", $"/ledger/journal?handler=csv&{query}" })
        {
            using var answer = await page.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            Assert.Contains(PageForms.Problems(html), p => p.Field == field && p.Text.Contains(message));
            Assert.DoesNotContain("id=\"journal\"", html);
        }
    }

    [Fact]
    public async Task AProgrammesAdmin_SeesOnlyTheirProgramme_AndASchoolOrAreaLeadCannotOpenIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        await other.FundAsync("100.00");

        using var admin = await PageAsync(Db, w.Admin.UserName);
        var html = await Read(admin, "/ledger/journal?limit=1000");
        Assert.NotEmpty(Lines(html));
        Assert.All(Lines(html), l => Assert.StartsWith($"{w.S.Code}:", l[1]));
        using (var answer = await admin.GetAsync($"/ledger/journal?programmeId={other.ProgrammeId}"))
            Assert.NotEqual(HttpStatusCode.OK, answer.StatusCode);

        foreach (var user in new[] { w.School.UserName, w.Lead.UserName })
        {
            using var page = await PageAsync(Db, user);
            foreach (var url in new[] { "/ledger/journal", "/ledger/journal?handler=csv" })
            {
                using var answer = await page.GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
                Assert.StartsWith("/forbidden", answer.Headers.Location?.OriginalString.Replace("http://localhost", ""));
            }
        }
        var auditor = await w.S.AuditorAsync(Db);
        using var auditors = await PageAsync(Db, auditor.UserName);
        Assert.Contains("href=\"/ledger/journal\"", await auditors.GetStringAsync("/ledger")); // in the auditor's navigation
    }
}
