using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

/// <summary>
/// The programme admin's page that reverses a funding, allocation or virement entry (/admin/entries/{id}/reverse), as
/// POST /api/v1/journal-entries/{id}/reversal does: checked writing nothing, then posted once; the money read back from the
/// accounts' rows; the entries it cannot reverse shown with why and no form; and the links to it.
/// </summary>
public sealed class ReversePageTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<(Scenario S, HttpClient Page)> AdminAsync(int areas = 1, int schoolsPerArea = 2)
    {
        var s = await Scenario.CreateAsync(Db, areas, schoolsPerArea);
        var admin = await s.ProgrammeAdminAsync(Db);
        return (s, await PageFormFuzzTests.SignedInPageAsync(Db.Factory, admin.UserName));
    }

    /// <summary>£1,000 funded on 1 September; £100 of staff cover to school 0 and £50 to school 1 in one allocation: its entry.</summary>
    private static async Task<long> AllocatedAsync(Scenario s)
    {
        await s.FundAsync("1000.00");
        return (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-01"), description = "Autumn cover",
            lines = new[]
            {
                new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" },
                new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"], amount = "50.00" },
            },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
    }

    private static string Url(long entryId) => $"/admin/entries/{entryId}/reverse";

    /// <summary>An account's balance on its normal (credit) side, in pence, as its row in the database holds it.</summary>
    private async Task<long> BalanceAsync(string code) =>
        await Db.ScalarAsync("SELECT credits_posted - debits_posted - debits_pending FROM account WHERE code = $1 AND unit = 'GBP'", code);

    /// <summary>What a check or a refusal must leave as it was: the entries, the transfers, the audit trail and the forms' one-time keys.</summary>
    private async Task<string> WrittenAsync()
    {
        var counts = new List<long>();
        foreach (var table in new[] { "journal_entry", "transfer", "audit_event", "idempotency_key" })
            counts.Add(await Db.ScalarAsync($"SELECT count(*) FROM {table}"));
        return string.Join(",", counts);
    }

    private static Dictionary<string, string> Answers(string reason, DateOnly? on = null) => new()
    {
        ["reason"] = reason, ["valueDate-day"] = on?.Day.ToString() ?? "", ["valueDate-month"] = on?.Month.ToString() ?? "",
        ["valueDate-year"] = on?.Year.ToString() ?? "",
    };

    /// <summary>The page's answer to a post, and the problems its error summary names, linked to a field or not ("" when not).</summary>
    private static async Task<(List<string> Problems, string Html)> PostAsync(HttpClient page, long entryId, Dictionary<string, string> fields)
    {
        fields[GrantLedger.Web.Pages.GovPage.FormKeyField] = Guid.NewGuid().ToString("N");
        var (_, html) = await PageForms.PostAsync(page, Url(entryId), fields);
        return (PageForms.SummaryItems(html), html);
    }

    [Fact]
    public async Task ReversePage_AnAllocation_IsCheckedWritingNothing_ThenMovesTheMoneyBack_InTheAuditTrail_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync();
        var entry = await AllocatedAsync(s);
        var (school0, school1, unallocated) = (s.SchoolAccount(0, "staff-cover", "available"), s.SchoolAccount(1, "staff-cover", "available"), "tp:2026-27:unallocated");
        Assert.Equal((10000, 5000, 85000), (await BalanceAsync(school0), await BalanceAsync(school1), await BalanceAsync(unallocated)));

        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(Url(entry)));
        Assert.Contains("Autumn cover", shown);
        Assert.Contains("1 September 2026", shown);
        Assert.Contains("Allocation ", shown);
        Assert.Contains($"School {s.Schools[0].Urn}: staff-cover available 2026-27 (URN {s.Schools[0].Urn})", shown);
        Assert.Contains("name=\"reason\"", shown);

        var before = await WrittenAsync();
        var (problems, html) = await PostAsync(page, entry, Answers("Allocated to the wrong schools"));
        Assert.Empty(problems);
        Assert.Contains("Check your answers", html);
        Assert.Contains($"£100.00 back from School {s.Schools[0].Urn}: staff-cover available 2026-27 (URN {s.Schools[0].Urn}) to Unallocated 2026-27", html);
        Assert.Contains($"£50.00 back from School {s.Schools[1].Urn}: staff-cover available 2026-27 (URN {s.Schools[1].Urn}) to Unallocated 2026-27", html);
        Assert.Contains(GrantLedger.Core.Ledger.UkTime.Today.ToString("d MMMM yyyy"), html); // blank: dated today
        Assert.Equal(before, await WrittenAsync());

        var (action, fields) = PageForms.ConfirmingForm(html);
        using var first = await page.PostAsync(action, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var done = first.Headers.Location!.OriginalString;
        Assert.Matches("^/admin/allocations/done/[0-9]+$", done);
        using var again = await page.PostAsync(action, new FormUrlEncodedContent(fields));
        Assert.Equal(done, again.Headers.Location!.OriginalString);

        Assert.Equal((0, 0, 100000), (await BalanceAsync(school0), await BalanceAsync(school1), await BalanceAsync(unallocated)));
        var reversal = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE reverses_entry_id = $1", entry);
        Assert.Equal($"/admin/allocations/done/{reversal}", done);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE id = $1 AND description = $2", reversal,
            $"Reversal of entry {entry}: Allocated to the wrong schools"));
        Assert.Equal(1L, await Db.ScalarAsync(
            "SELECT count(*) FROM audit_event WHERE action = 'entry.reversed' AND record_id = $1 AND (details->>'reversalEntryId')::bigint = $2", entry, reversal));
        var confirmation = WebUtility.HtmlDecode(await page.GetStringAsync(done));
        Assert.Contains("Entry reversed", confirmation);
        Assert.Contains($"<strong id=\"entry\">{reversal}</strong>", confirmation);
        Assert.Contains("href=\"/admin/allocations\"", confirmation);

        var allocations = await page.GetStringAsync($"/admin/allocations?yearId={s.YearId}");
        Assert.Contains($"href=\"/admin/allocations/done/{reversal}\">entry {reversal}</a>", allocations);
        Assert.DoesNotContain($"href=\"{Url(entry)}\"", allocations);
    }

    /// <summary>
    /// PINS has seven schools of each name, and a school's accounts are named after it: an allocation to two of them listed
    /// "Riverside Primary School: staff-cover available 2026-27" twice, on the page and in the check, and nobody could tell
    /// which school's money moved back. Each account of a school is named with the school's URN beside it.
    /// </summary>
    [Fact]
    public async Task ReversePage_SchoolsThatShareAName_AreToldApartByTheirUrns_OnThePageAndInTheCheck()
    {
        var (s, page) = await AdminAsync();
        await Db.ScalarAsync("WITH u AS (UPDATE school SET name = 'Riverside Primary School' WHERE programme_id = $1 RETURNING 1) SELECT count(*) FROM u", s.ProgrammeId);
        var entry = await AllocatedAsync(s);

        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(Url(entry)));
        var rows = Regex.Matches(Regex.Match(shown, "id=\"transfers\">.*?(<tbody.*?</tbody>)", RegexOptions.Singleline).Groups[1].Value, "<tr class=\"govuk-table__row\">(.*?)</tr>", RegexOptions.Singleline);
        Assert.Equal([$"Unallocated 2026-27 | Riverside Primary School: staff-cover available 2026-27 (URN {s.Schools[0].Urn}) | £100.00",
                      $"Unallocated 2026-27 | Riverside Primary School: staff-cover available 2026-27 (URN {s.Schools[1].Urn}) | £50.00"],
            rows.Select(r => string.Join(" | ", Regex.Matches(r.Groups[1].Value, "<td[^>]*>(.*?)</td>").Select(c => c.Groups[1].Value))).ToList());

        var (problems, html) = await PostAsync(page, entry, Answers("Allocated to the wrong schools"));
        Assert.Empty(problems);
        Assert.Contains($"£100.00 back from Riverside Primary School: staff-cover available 2026-27 (URN {s.Schools[0].Urn}) to Unallocated 2026-27", html);
        Assert.Contains($"£50.00 back from Riverside Primary School: staff-cover available 2026-27 (URN {s.Schools[1].Urn}) to Unallocated 2026-27", html);
    }

    /// <summary>
    /// An entry of a year that has ended is reversed on its last day when no date is given, as the API dates it: the form's
    /// hint says so, and the check shows that date (it had said today, after the year).
    /// </summary>
    [Fact]
    public async Task ReversePage_AnEndedYearsEntry_IsDatedOnTheYearsLastDay_AsTheFormSays()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26");
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        var entry = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "500.00", reference = "grant" })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        Assert.Contains("Leave blank to date it 31 August 2026, the last day of 2025-26, which has ended. It must fall within 2025-26",
            WebUtility.HtmlDecode(await page.GetStringAsync(Url(entry))));
        var (problems, html) = await PostAsync(page, entry, Answers("Funded twice"));
        Assert.Empty(problems);
        Assert.Matches("id=\"answer-date\">31 August 2026<", html);
    }

    public static TheoryData<string, int, string, string> Refused => new()
    {
        { "", 0, "reason", "Enter the reason for the reversal" },
        { "Wrong school", 1, "valueDate", "The value date cannot be in the future" },
        { "Wrong school", -1, "valueDate", "The value date must not be before the entry it reverses, dated 1 September 2026" },
    };

    /// <param name="when">0: left blank; 1: tomorrow; -1: the day before the entry's</param>
    [Theory]
    [MemberData(nameof(Refused))]
    public async Task ReversePage_ABlankReason_AFutureDate_OrADateBeforeTheEntry_IsNamedOnItsField_AndNothingIsWritten(string reason, int when,
        string field, string said)
    {
        var (s, page) = await AdminAsync();
        var entry = await AllocatedAsync(s);
        var before = await WrittenAsync();
        DateOnly? on = when switch { 1 => GrantLedger.Core.Ledger.UkTime.Today.AddDays(1), -1 => new DateOnly(2026, 8, 31), _ => null };
        var (problems, html) = await PostAsync(page, entry, Answers(reason, on));
        var problem = Assert.Single(problems);
        Assert.StartsWith($"{field}: {said}", problem);
        Assert.Contains($"id=\"{field}-error\"", html);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Equal(before, await WrittenAsync());
        Assert.Equal(10000, await BalanceAsync(s.SchoolAccount(0, "staff-cover", "available")));
    }

    /// <summary>
    /// A school's claim holds £250 of the £1,000 staff cover it was allocated: reversing the allocation would take back money
    /// claimed, refused in the summary, by how much; and the claim's own entry is not one to reverse here.
    /// </summary>
    [Fact]
    public async Task ReversePage_MoneyAlreadyClaimed_ShowsTheOverdrawRefusal_AndWritesNothing_AndAClaimsEntryHasNoForm()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        var claim = await w.UnderReviewAsync();
        var cover = await Db.ScalarAsync(
            "SELECT min(e.id) FROM journal_entry e JOIN allocation a ON a.id = e.cause_id WHERE e.cause_type = 'allocation'");
        var before = await WrittenAsync();
        var (problems, html) = await PostAsync(page, cover, Answers("Allocated twice"));
        var problem = Assert.Single(problems);
        // the account as the pages name it (the school, the category, the year), its code beside it
        var (name, code) = (await Db.TextAsync($"SELECT name FROM account WHERE school_id = {w.S.Schools[0].Id} AND code LIKE '%:staff-cover:available'"),
            await Db.TextAsync($"SELECT code FROM account WHERE school_id = {w.S.Schools[0].Id} AND code LIKE '%:staff-cover:available'"));
        Assert.StartsWith($"Reversing entry {cover} would take £250.00 more from {name} ({code}) than it has available", problem);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Contains("value=\"Allocated twice\"", html);
        Assert.Equal(before, await WrittenAsync());

        var claimEntry = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE cause_type = 'claim' AND cause_id = $1", claim);
        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(Url(claimEntry)));
        Assert.Contains($"Entry {claimEntry} records a claim: only funding, allocation and virement entries can be reversed", shown);
        Assert.DoesNotContain("name=\"reason\"", shown);
        var (refused, _) = await PostAsync(page, claimEntry, Answers("x"));
        Assert.StartsWith($"Entry {claimEntry} records a claim", Assert.Single(refused));
        Assert.Equal(before, await WrittenAsync());
    }

    /// <summary>Reversing an allocation of staff time a claim has since taken said "the money has since been claimed".</summary>
    [Fact]
    public async Task ReversePage_StaffTimeAlreadyClaimed_SaysTheStaffTimeHasBeenClaimed_NotTheMoney()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        await w.UnderReviewAsync(); // a day of staff time, from the school's contact-time allowance
        var time = await Db.ScalarAsync(
            "SELECT min(e.id) FROM journal_entry e WHERE e.cause_type = 'allocation' AND EXISTS (SELECT 1 FROM transfer t WHERE t.entry_id = e.id AND t.unit = 'MIN')");
        var before = await WrittenAsync();
        var (problems, _) = await PostAsync(page, time, Answers("Allocated twice"));
        var problem = Assert.Single(problems);
        Assert.Matches($"^Reversing entry {time} would take [^£]+ more from .+ than it has available \\(the staff time has since been claimed, reserved or moved\\)", problem);
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task ReversePage_AnEntryAlreadyReversed_LinksTheReversingEntry_WithNoForm_AndAReversalIsNotReversedHere()
    {
        var (s, page) = await AdminAsync();
        var entry = await AllocatedAsync(s);
        var reversal = (await s.Root.PostAsync($"/api/v1/journal-entries/{entry}/reversal", new { reason = "Wrong schools" })).Expect(HttpStatusCode.Created).Json["id"]!.GetValue<long>();

        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(Url(entry)));
        Assert.Contains("This entry has already been reversed", shown);
        Assert.Contains($"href=\"/admin/allocations/done/{reversal}\">entry {reversal}</a>", shown);
        Assert.DoesNotContain("name=\"reason\"", shown);
        var before = await WrittenAsync();
        var (problems, _) = await PostAsync(page, entry, Answers("Again"));
        Assert.Equal($"Entry {entry} has already been reversed", Assert.Single(problems));
        Assert.Equal(before, await WrittenAsync());

        var ofReversal = WebUtility.HtmlDecode(await page.GetStringAsync(Url(reversal)));
        Assert.Contains($"Entry {reversal} records a reversal", ofReversal);
        Assert.DoesNotContain("name=\"reason\"", ofReversal);
    }

    /// <summary>Where a page sends a record not found (or not the user's to see): the "Page not found" page, answered 404.</summary>
    private const string NotFound = "/forbidden?missing=1";

    [Fact]
    public async Task ReversePage_AnotherProgrammesEntry_OrNone_IsNotFound_AndNothingIsWritten()
    {
        var (s, page) = await AdminAsync();
        await AllocatedAsync(s);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "tq");
        await other.FundAsync("100.00");
        var theirs = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE programme_id = $1", other.ProgrammeId);
        foreach (var id in new[] { theirs, 999999 })
        {
            using var shown = await page.GetAsync(Url(id));
            Assert.Equal(NotFound, shown.Headers.Location?.OriginalString);
        }
        var before = await WrittenAsync();
        var token = PageFormFuzzTests.TokenOf(await page.GetStringAsync($"/admin/allocations?yearId={s.YearId}"));
        using var posted = await page.PostAsync($"{Url(theirs)}?handler=Confirm", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["reason"] = "x", [PageFormFuzzTests.Token] = token }));
        Assert.Equal(NotFound, posted.Headers.Location?.OriginalString);
        Assert.Equal(before, await WrittenAsync());
        using var followed = await page.GetAsync(NotFound);
        Assert.Equal(HttpStatusCode.NotFound, followed.StatusCode);
    }

    [Fact]
    public async Task ReversePage_OtherRoles_FinanceToo_AreSentToTheForbiddenPage()
    {
        var (s, _) = await AdminAsync();
        var entry = await AllocatedAsync(s);
        foreach (var user in new[] { await s.FinanceAsync(Db), await s.AuditorAsync(Db), await s.AreaLeadAsync(Db), await s.SchoolUserAsync(Db) })
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, user.UserName);
            using var refused = await page.GetAsync(Url(entry));
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.Equal("/forbidden", refused.Headers.Location!.AbsolutePath);
        }
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE reverses_entry_id IS NOT NULL"));
    }

    /// <summary>
    /// The allocations page lists the year's fundings and virements beside its allocations, each not yet reversed with a
    /// "Reverse" link naming its entry to a screen reader; the journal gives the link to the programme admin only.
    /// </summary>
    [Fact]
    public async Task AllocationsAndJournal_LinkEachFundingAllocationAndVirementNotYetReversed_ToItsReversal_ForTheAdminOnly()
    {
        var (s, page) = await AdminAsync();
        var allocation = await AllocatedAsync(s);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] }, amount = "10.00", reason = "Runs the network",
        })).Expect(HttpStatusCode.Created);
        var funding = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'funding'");
        var virement = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'virement'");

        var listed = WebUtility.HtmlDecode(await page.GetStringAsync($"/admin/allocations?yearId={s.YearId}"));
        foreach (var (table, entry, description) in new[] { ("fundings", funding, "grant"), ("allocations", allocation, "Autumn cover"), ("virements", virement, "Runs the network") })
        {
            var html = PageTables.Table(listed, table);
            Assert.Matches($"<a class=\"govuk-link\" href=\"{Url(entry)}\">Reverse<span class=\"govuk-visually-hidden\"> entry {entry}, [^<]*{description}</span></a>", html);
        }
        var fundingRow = PageTables.Cells(Assert.Single(PageTables.Rows(PageTables.Table(listed, "fundings"))));
        Assert.Equal(["Funding 2026-27: grant", "£1,000.00"], fundingRow[1..3]);

        var journal = await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}");
        foreach (var entry in new[] { funding, allocation, virement })
            Assert.Single(Regex.Matches(journal, Regex.Escape($"href=\"{Url(entry)}\"")));
        (await s.Root.PostAsync($"/api/v1/journal-entries/{virement}/reversal", new { reason = "Undo" })).Expect(HttpStatusCode.Created);
        journal = await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}");
        Assert.DoesNotContain($"href=\"{Url(virement)}\"", journal);
        Assert.Equal(2, Regex.Matches(journal, "href=\"/admin/entries/[0-9]+/reverse\"").Count); // not the reversal's own entry

        using var finance = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.FinanceAsync(Db)).UserName);
        var theirs = await finance.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}");
        Assert.Contains($"Entry {allocation}", theirs);
        Assert.DoesNotContain("/reverse\"", theirs);
    }

    /// <summary>The journal offers no Reverse link for an entry of a year closed at its year end (its reversal page says the year is closed), as the allocations page does not; the open year's entries keep theirs.</summary>
    [Fact]
    public async Task Journal_OffersNoReverseLink_ForAnEntryOfAYearClosedAtItsYearEnd_ButDoesForTheOpenYears()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2, year: "2025-26"); // ended: finance can close it
        var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await s.ProgrammeAdminAsync(Db)).UserName);
        var allocation = await AllocatedAsync(s);
        var funding = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'funding'");
        var next = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var nextFunding = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years/{next}/funding", new { amount = "500.00", reference = "grant 2" }))
            .Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        var journal = await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}");
        foreach (var entry in new[] { funding, allocation, nextFunding }) Assert.Contains($"href=\"{Url(entry)}\"", journal);

        (await (await s.FinanceAsync(Db)).PostAsync($"{s.Year}/close", new { rules = new[] { new { categoryId = s.Categories["staff-cover"], treatment = "lapse" } } }))
            .Expect(HttpStatusCode.OK);
        journal = await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}");
        Assert.Contains($"Entry {allocation}", journal); // still listed
        Assert.Equal([$"href=\"{Url(nextFunding)}\""], Regex.Matches(journal, "href=\"/admin/entries/[0-9]+/reverse\"").Select(m => m.Value).ToArray());
    }
    /// <summary>
    /// Reversing PINS's allocation of a category to every school listed its 1,680 transfers, a row each, above the reason's
    /// field (484 KB), and the check as many lines again. An entry of more than 20 transfers is summed by the account the
    /// money came from ("to 30 accounts"), with its lines a link away in the journal; one of 20 or fewer is listed as it was.
    /// </summary>
    [Fact]
    public async Task ReversePage_AnAllocationToManySchools_SumsItsTransfers_AndLinksTheirLines()
    {
        var (s, page) = await AdminAsync(1, 30);
        // PINS has seven Riverside St John's, in seven areas: their accounts share a name, and are counted by what they are
        await Db.ScalarAsync("WITH u AS (UPDATE school SET name = 'Riverside Primary School' WHERE programme_id = $1 RETURNING 1) SELECT count(*) FROM u", s.ProgrammeId);
        await s.FundAsync("10000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var entry = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE programme_id = $1", s.ProgrammeId);

        var shown = WebUtility.HtmlDecode(await page.GetStringAsync(Url(entry)));
        var rows = Regex.Matches(Regex.Match(shown, "id=\"transfers\">.*?(<tbody.*?</tbody>)", RegexOptions.Singleline).Groups[1].Value, "<tr class=\"govuk-table__row\">(.*?)</tr>", RegexOptions.Singleline);
        Assert.Equal(["Unallocated 2026-27 | 30 accounts | £3,000.00"],
            rows.Select(r => string.Join(" | ", Regex.Matches(r.Groups[1].Value, "<td[^>]*>(.*?)</td>").Select(c => c.Groups[1].Value))).ToList());
        Assert.Contains($"href=\"/ledger/journal?programmeId={s.ProgrammeId}&entryId={entry}\"", shown);
        Assert.DoesNotContain("Riverside", shown);

        var (problems, html) = await PostAsync(page, entry, Answers("Allocated to the wrong programme"));
        Assert.Empty(problems);
        Assert.Contains("£3,000.00 back from 30 accounts to Unallocated 2026-27", html);
        Assert.DoesNotContain("Riverside", html);
    }
}
