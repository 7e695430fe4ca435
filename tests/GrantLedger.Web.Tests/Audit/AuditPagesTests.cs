using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Pages;
using GrantLedger.Web.Tests.Support;
using Npgsql;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>
/// The audit trail and the chains' verification as pages (/ledger/trail, /ledger/verification): the API's reads
/// (/api/v1/audit/events, verification, seal-status) shown to an auditor in a browser, with the same answers.
/// </summary>
public sealed class AuditPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static Task<HttpClient> PageAsync(DatabaseFixture db, string userName) => Security.PageFormFuzzTests.SignedInPageAsync(db.Factory, userName);

    private static List<string[]> EventRows(string html) => Rows(Table(html, "events")).Select(Cells).ToList();

    private static long[] ApiIds(System.Text.Json.Nodes.JsonNode page) => page["items"]!.AsArray().Select(e => e!["id"]!.GetValue<long>()).ToArray();

    private static string[] CsvData(string csv) => csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).SkipWhile(l => l.StartsWith('#')).ToArray();

    [Fact]
    public async Task Trail_ListsWhatASubmissionWrote_WhoInWhatRoleWhenAndFromWhere_WithTheClaimLinked()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        await using var fromSchool = ClientAt.Service(Db, "198.51.100.23");
        var school = new ApiClient(fromSchool.CreateClient(), w.School.Http.DefaultRequestHeaders.Authorization!.Parameter, w.School.UserId, w.School.UserName);
        (await w.SubmitAsync(id, school)).Expect(HttpStatusCode.OK);
        var auditor = await w.S.AuditorAsync(Db);
        var submitted = (await auditor.GetAsync($"/api/v1/audit/events?recordType=claim&recordId={id}&action=claim.submit")).Expect(HttpStatusCode.OK)
            .Json["items"]![0]!;
        using var page = await PageAsync(Db, auditor.UserName);

        var html = await Read(page, $"/ledger/trail?recordType=claim&recordId={id}");
        var row = EventRows(html).Single(r => r.Contains("claim.submit"));
        Assert.Equal(submitted["id"]!.GetValue<long>().ToString(), row[0]);
        Assert.Equal(UkTime(submitted["occurredAt"]!.GetValue<DateTimeOffset>()), row[1]);
        Assert.Equal("198.51.100.23", submitted["clientAddress"]!.GetValue<string>());
        Assert.Equal($"{w.School.UserName} (school business manager), from 198.51.100.23", row[2]);
        Assert.Equal("claim.submit", row[3]);
        Assert.Contains($"Claim CLM-{id:D6}", row[4]); // the reference every other page gives it, where it read "Claim 21"
        Assert.Contains("from: draft", row[5]);
        Assert.Contains("to: submitted", row[5]);
        Assert.Contains($"entryId: {submitted["details"]!["entryId"]!.GetValue<long>()}", row[5]);
        Assert.Contains($"<a class=\"govuk-link\" href=\"/ledger/claims/{id}\">Claim CLM-{id:D6}</a>", html);
        Assert.DoesNotContain("{\"from\"", html); // the details as a list, not the JSON
        Assert.All(EventRows(html), r => Assert.Contains($"Claim CLM-{id:D6}", r[4]));
    }

    private static string UkTime(DateTimeOffset at) => GrantLedger.Core.Ledger.UkTime.Of(at).ToString("d MMM yyyy HH:mm");

    [Fact]
    public async Task Trail_FiltersNarrowIt_AndTheNextPageLinkReachesEveryEventOnce_InTheApisOrder()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        var claims = EventRows(await Read(page, "/ledger/trail?action=claim."));
        Assert.Equal(["claim.started", "claim.line-added", "claim.submit", "claim.start-review"], claims.Select(r => r[3]).ToArray());
        var lead = EventRows(await Read(page, $"/ledger/trail?action=claim.&userId={w.Lead.UserId}"));
        Assert.Equal(["claim.start-review"], lead.Select(r => r[3]).ToArray());
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        Assert.Equal(claims.Count, EventRows(await Read(page, $"/ledger/trail?action=claim.&from-day={today.Day}&from-month={today.Month}&from-year={today.Year}"))
            .Count);
        var tomorrow = today.AddDays(1);
        var none = await Read(page, $"/ledger/trail?action=claim.&from-day={tomorrow.Day}&from-month={tomorrow.Month}&from-year={tomorrow.Year}");
        Assert.DoesNotContain("id=\"events\"", none);
        Assert.Contains("No events match these filters.", none);

        var all = ApiIds((await auditor.GetAsync("/api/v1/audit/events?limit=1000")).Expect(HttpStatusCode.OK).Json);
        Assert.True(all.Length > 6);
        var (seen, pages) = await EveryPageAsync(page, "/ledger/trail?limit=3");
        Assert.Equal(all, seen);
        Assert.Equal((all.Length + 2) / 3, pages);

        // newest first: the same events the other way round, page after page, as the API gives them with order=newest
        var newest = ApiIds((await auditor.GetAsync("/api/v1/audit/events?limit=1000&order=newest")).Expect(HttpStatusCode.OK).Json);
        Assert.Equal(all.Reverse(), newest);
        (seen, pages) = await EveryPageAsync(page, "/ledger/trail?limit=3&order=newest");
        Assert.Equal(newest, seen);
        Assert.Equal((all.Length + 2) / 3, pages);
        var first = ApiIds((await auditor.GetAsync("/api/v1/audit/events?limit=3&order=newest")).Expect(HttpStatusCode.OK).Json);
        var cursor = (await auditor.GetAsync("/api/v1/audit/events?limit=3&order=newest")).Json["nextCursor"]!.GetValue<long>();
        Assert.Equal(newest.Skip(3).Take(3), ApiIds((await auditor.GetAsync($"/api/v1/audit/events?limit=3&order=newest&before={cursor}")).Json));
        Assert.Equal(newest.Take(3), first);
        (await auditor.GetAsync("/api/v1/audit/events?order=sideways")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "order");
    }

    /// <summary>
    /// One action alone is read by its ids first (AuditReads.EventsAsync): its pages, after and before a cursor, in either
    /// order, are the action's events once each, none of another action's among them, as its whole list gives them.
    /// </summary>
    [Fact]
    public async Task Trail_OfOneAction_PagesThroughEachOfItsEventsOnce_EitherWay_WithOtherEventsBetween()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        for (var day = 5; day <= 9; day++) await w.ApprovedSpecialistDayAsync(w.S.On($"10-{day:D2}")); // each submission between other actions' events
        var auditor = await w.S.AuditorAsync(Db);

        var whole = ApiIds((await auditor.GetAsync("/api/v1/audit/events?action=claim.submit&limit=1000")).Expect(HttpStatusCode.OK).Json);
        Assert.True(whole.Length >= 5);
        Assert.Equal(whole.Order(), whole);
        foreach (var (order, cursorName, expected) in new[] { ("written", "after", whole), ("newest", "before", whole.Reverse().ToArray()) })
        {
            var seen = new List<long>();
            string? cursor = null;
            do
            {
                var json = (await auditor.GetAsync($"/api/v1/audit/events?action=claim.submit&limit=2&order={order}"
                                                   + (cursor is null ? "" : $"&{cursorName}={cursor}"))).Expect(HttpStatusCode.OK).Json;
                Assert.All(json["items"]!.AsArray(), e => Assert.Equal("claim.submit", e!["action"]!.GetValue<string>()));
                seen.AddRange(ApiIds(json));
                cursor = json["nextCursor"]?.GetValue<long>().ToString();
            } while (cursor is not null);
            Assert.Equal(expected, seen);
        }
        // from a cursor that is another action's event, in either direction
        var approved = ApiIds((await auditor.GetAsync("/api/v1/audit/events?action=claim.approve&limit=1000")).Json);
        var middle = approved[approved.Length / 2];
        Assert.Equal(whole.Where(id => id > middle).Take(2), ApiIds((await auditor.GetAsync($"/api/v1/audit/events?action=claim.submit&limit=2&after={middle}")).Json));
        Assert.Equal(whole.Where(id => id < middle).Reverse().Take(2),
            ApiIds((await auditor.GetAsync($"/api/v1/audit/events?action=claim.submit&limit=2&order=newest&before={middle}")).Json));
    }

    /// <summary>Newest first, the table's caption said "Events 12 to 7, in the order written".</summary>
    [Fact]
    public async Task Trail_NewestFirst_SaysSoInItsCaption()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        using var page = await PageAsync(Db, (await w.S.AuditorAsync(Db)).UserName);
        Assert.Matches("<caption[^>]*>Events \\d+ to \\d+, in the order written</caption>", await Read(page, "/ledger/trail?limit=3"));
        var newest = await Read(page, "/ledger/trail?limit=3&order=newest");
        Assert.Matches("<caption[^>]*>Events \\d+ to \\d+, newest first</caption>", newest);
        Assert.DoesNotContain("in the order written", newest);
    }

    /// <summary>Every event from a page of the trail on, following its Next page links; the filters kept on each.</summary>
    private static async Task<(List<long> Ids, int Pages)> EveryPageAsync(HttpClient page, string url)
    {
        var seen = new List<long>();
        var pages = 0;
        string? next = url;
        while (next is not null)
        {
            var html = await Read(page, next);
            seen.AddRange(EventRows(html).Select(r => long.Parse(r[0])));
            next = Regex.Match(html, "href=\"([^\"]+)\" rel=\"next\"") is { Success: true } link ? link.Groups[1].Value : null;
            if (next is not null) Assert.Contains("limit=3", next); // the filters are kept
            pages++;
        }
        return (seen, pages);
    }

    [Fact]
    public async Task Trail_AsCsv_HasTheApisRowsForTheSameFilters_EveryCellFormulaSafe()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        // a name a spreadsheet would run, written as a script could (the trail refuses only updates and deletes)
        await Db.ScalarAsync("""
            INSERT INTO audit_event (user_name, role, action, record_type, details) VALUES ('=HYPERLINK("https://evil.example")', 'auditor', 'claim.changed', 'claim', '{}')
            RETURNING id
            """);
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);
        var today = GrantLedger.Core.Ledger.UkTime.Today;

        using var answer = await page.GetAsync($"/ledger/trail?handler=csv&action=claim.&from-day={today.Day}&from-month={today.Month}&from-year={today.Year}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/csv", answer.Content.Headers.ContentType?.MediaType);
        var fromPage = CsvData(await CsvDownloads.FromPageAsync(answer));
        var fromApi = CsvData(await CsvDownloads.FromApiAsync(auditor.Http, $"/api/v1/audit/events?action=claim.&from={today:yyyy-MM-dd}&format=csv"));
        Assert.Equal(string.Join(",", AuditReads.EventCsvHeader), fromPage[0]);
        Assert.Equal(6, fromPage.Length); // the header, four events of the claim and the inserted one
        Assert.Equal(fromApi, fromPage);
        Assert.Contains(fromPage, l => l.Contains(",\"'=HYPERLINK(\"\"https://evil.example\"\")\","));

        var html = await Read(page, "/ledger/trail?action=claim.");
        Assert.Contains("/ledger/trail?handler=csv&action=claim.", html);
    }

    [Theory]
    [InlineData("from-day=31&from-month=2&from-year=2026", "from", "The first day must be a real date")]
    [InlineData("from-day=4&from-month=12&from-year=2026&to-day=3&to-month=12&to-year=2026", "to", "The last day must be the same as or after the first day")]
    [InlineData("recordId=abc", "recordId", "The record ID must be a number")]
    [InlineData("userId=1x", "userId", "The user ID must be a number")]
    [InlineData("limit=5000", "limit", "")]
    [InlineData("order=sideways", "order", "Choose the order: as written, or newest first")]
    // a link typed by hand with a misspelt record type or action: an error on its field, where it showed an empty table
    [InlineData("recordType=payment-run", "recordType", "Select a record type from the list: the audit trail records no payment-run")]
    [InlineData("action=clam.approve", "action", "Select an action from the list: the audit trail records no clam.approve")]
    public async Task Trail_WithAFilterItCannotRead_SaysWhichInAnErrorSummary_AndShowsNoEvents(string query, string field, string message)
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);
        // the CSV is not paged, as the API's: a limit there is no error
        foreach (var url in field == "limit" ? [$"/ledger/trail?{query}"] : new[] { $"/ledger/trail?{query}", $"/ledger/trail?handler=csv&{query}" })
        {
            using var answer = await page.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            Assert.Contains(PageForms.Problems(html), p => p.Field == field && p.Text.Contains(message));
            Assert.DoesNotContain("id=\"events\"", html);
        }
    }

    /// <summary>
    /// Record type and action are chosen from lists of what the trail records (they were free text, and a misspelt one found
    /// nothing): the record types by name, the actions grouped by record type, each group led by every action of its kind
    /// ("claim."); a link typed by hand with values keeps them chosen and filters by them.
    /// </summary>
    [Fact]
    public async Task Trail_OffersRecordTypesAndActionsFromLists_AndALinkTypedByHandKeepsItsChoice()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        var html = await Read(page, $"/ledger/trail?recordType=claim&action=claim.&recordId={id}");
        var recordTypes = Options(html, "recordType");
        Assert.Equal(("", "Any record type", false), recordTypes[0]);
        Assert.Equal(AuditAction.RecordTypes, recordTypes.Skip(1).Select(o => o.Value));
        Assert.Contains(("payment_run", "Payment run (payment_run)", false), recordTypes);
        Assert.Contains(("claim", "Claim (claim)", true), recordTypes);
        var actions = Options(html, "action");
        Assert.Equal(("", "Any action", false), actions[0]);
        Assert.Equal(AuditAction.Filters.Order(StringComparer.Ordinal), actions.Skip(1).Select(o => o.Value).Order(StringComparer.Ordinal));
        Assert.Equal([("claim.", "Every claim action (claim.)", true)], actions.Where(o => o.Selected));
        // grouped by record type, in the record types' order: the claim's, led by every claim action, then its own
        var groups = Regex.Matches(html, "<optgroup label=\"([^\"]+)\">(.*?)</optgroup>").Select(m => (Label: m.Groups[1].Value, Body: m.Groups[2].Value)).ToList();
        Assert.Equal(AuditAction.RecordTypes.Select(t => Gov.Record(t, null)), groups.Select(g => g.Label));
        var claimGroup = groups.Single(g => g.Label == "Claim").Body;
        Assert.StartsWith("<option value=\"claim.\"", claimGroup);
        Assert.Contains("<option value=\"claim.submit\">claim.submit</option>", claimGroup);
        Assert.Contains("<option value=\"claim.add-to-payment-run\">", groups.Single(g => g.Label == "Payment run").Body); // written on the run
        Assert.DoesNotContain("type=\"text\" name=\"action\"", html);
        Assert.Equal(["claim.started", "claim.line-added", "claim.submit", "claim.start-review"], EventRows(html).Select(r => r[3]));
    }

    private static List<(string Value, string Text, bool Selected)> Options(string html, string select) =>
        Regex.Matches(Regex.Match(html, $"<select [^>]*name=\"{select}\"[^>]*>(.*?)</select>", RegexOptions.Singleline).Groups[1].Value,
                "<option value=\"([^\"]*)\"( selected)?>([^<]*)</option>")
            .Select(m => (WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[3].Value), m.Groups[2].Success)).ToList();

    [Fact]
    public async Task Trail_ShowsAReasonWithMarkup_AsText()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        const string reason = "<script>alert('trail')</script> & <b>bold</b>";
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason })).Expect(HttpStatusCode.OK);
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        var raw = await page.GetStringAsync($"/ledger/trail?action=claim.return");
        Assert.DoesNotContain("<script>alert", raw);
        Assert.DoesNotContain("<b>bold", raw);
        Assert.Contains("&lt;script&gt;", raw);
        // the cell's text as the reader sees it: tags taken out of the page as sent, then its entities read
        Assert.Contains($"reason: {reason}", WebUtility.HtmlDecode(Rows(Table(raw, "events")).Select(Cells).Single()[5]));
    }


    [Fact]
    public async Task Verification_SaysEveryChainMatches_WithItsCountAndHead_ThenNamesTheEntryChangedBehindTheGuards()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var auditor = await s.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);

        // before sealing: nothing checked yet, every record waiting, as seal-status says
        var waiting = await Read(page, "/ledger/verification");
        var status = (await auditor.GetAsync("/api/v1/audit/seal-status")).Expect(HttpStatusCode.OK).Json;
        var journal = $"journal:{s.ProgrammeId}";
        var lag = Rows(Table(waiting, "lag")).Select(Cells).Single(r => r[0].Contains(journal));
        Assert.Equal(status["chains"]!.AsArray().Single(c => c!["chain"]!.GetValue<string>() == journal)!["unsealed"]!.GetValue<long>().ToString("N0"), lag[1]);
        Assert.Contains("may take", waiting);

        await Sealing.SealAllAsync(Db.DataSource);
        var report = (await auditor.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        var html = await Read(page, "/ledger/verification");
        Assert.Contains("Every record checked matches its seal", html);
        Assert.DoesNotContain("govuk-error-summary", html);
        var chains = Rows(Table(html, "chains")).Select(Cells).ToList();
        Assert.Equal(report["chains"]!.AsArray().Count, chains.Count);
        foreach (var c in report["chains"]!.AsArray())
        {
            var row = chains.Single(r => r[0].Contains(c!["chain"]!.GetValue<string>()));
            Assert.Equal(c!["sealed"]!.GetValue<long>().ToString("N0"), row[1]);
            Assert.Equal(c["verified"]!.GetValue<long>().ToString("N0"), row[2]);
            Assert.Equal(row[1], row[2]);
            Assert.Equal(c["head"]!.GetValue<string>(), row[3]);
            Assert.Equal("Matches", row[4]);
        }
        Assert.Equal("0", Rows(Table(html, "lag")).Select(Cells).Single(r => r[0].Contains(journal))[1]);
        Assert.Contains("href=\"/ledger/verification\"", html); // run it again

        var allocation = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'allocation'");
        await Db.DataSource.TamperAsync("UPDATE transfer SET amount = amount + 1 WHERE id = (SELECT min(id) FROM transfer WHERE entry_id = $1)", allocation);
        using var answer = await page.GetAsync("/ledger/verification");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
        Assert.DoesNotContain("Every record checked matches its seal", html);
        Assert.Contains($"journal_entry {allocation} does not match its seal", Regex.Match(html, "<div class=\"govuk-error-summary\".*?</ul>", RegexOptions.Singleline).Value);
        var broken = Rows(Table(html, "chains")).Single(r => Cells(r)[0].Contains(journal));
        Assert.Contains("govuk-tag--red", broken);
        Assert.Contains($"journal_entry {allocation} does not match its seal", Cells(broken)[4]);
        Assert.Equal(int.Parse(Cells(broken)[1]) - 1, int.Parse(Cells(broken)[2])); // every sealed entry checked, all but the changed one matching
        Assert.Equal("Matches", Rows(Table(html, "chains")).Select(Cells).Single(r => r[0].Contains("audit"))[4]);
    }

    [Fact]
    public async Task Verification_GivesTheHeadsToKeep_AndChecksThemAtTheNextVisit_NamingAChainRewrittenSince()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        await Sealing.SealAllAsync(Db.DataSource);
        var auditor = await s.AuditorAsync(Db);
        using var page = await PageAsync(Db, auditor.UserName);
        var journal = $"journal:{s.ProgrammeId}";

        // the heads to keep: the file the page offers, a line a chain as the verification found it
        var html = await Read(page, "/ledger/verification");
        Assert.Contains("href=\"/ledger/verification?handler=heads\" download", html);
        using var download = await page.GetAsync("/ledger/verification?handler=heads");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        Assert.Matches(@"^grantledger-chain-heads-\d{4}-\d{2}-\d{2}-\d{4}\.csv$", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName);
        var kept = await download.Content.ReadAsStringAsync();
        var chains = Rows(Table(html, "chains")).Select(Cells).ToList();
        Assert.Equal(["chain,seal,hash", .. chains.Select(c => $"{Regex.Match(c[0], @"\((.*)\)").Groups[1].Value},{c[1].Replace(",", "")},{c[3]}")],
            kept.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        // at the next visit, the ledger moved on: the file pasted back, every head is still in its chain
        await s.AllocateEachAsync("action-plan", "1.00");
        await Sealing.SealAllAsync(Db.DataSource);
        var next = await Read(page, $"/ledger/verification?noted={Uri.EscapeDataString(kept)}");
        Assert.Contains("Every record checked matches its seal", next);
        var noted = Rows(Table(next, "heads-noted")).Select(Cells).ToList();
        Assert.Equal(chains.Count, noted.Count);
        Assert.All(noted, n => Assert.StartsWith("Still in the chain", n[3]));
        Assert.Contains(kept.Trim(), next); // the lines pasted stay in the box

        // an allocation changed behind the guards and the chain made again from its seal: the records match, the head does not
        var allocation = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE cause_type = 'allocation'");
        await Db.DataSource.TamperAsync("UPDATE transfer SET amount = amount + 1 WHERE id = (SELECT min(id) FROM transfer WHERE entry_id = $1)", allocation);
        await HashChainTests.RewriteChainFromAsync(Db, journal,
            await Db.ScalarAsync("SELECT seq FROM chain_seal WHERE record_type = 'journal_entry' AND record_id = $1", allocation));
        Assert.Contains("Every record checked matches its seal", await Read(page, "/ledger/verification"));
        var after = await Read(page, $"/ledger/verification?noted={Uri.EscapeDataString(kept)}");
        Assert.DoesNotContain("Every record checked matches its seal", after);
        Assert.Contains("every record matches its seal, but a head you noted is not in its chain as it was", after);
        var index = chains.FindIndex(c => c[0].Contains(journal));
        var summary = PageForms.SummaryItems(after);
        Assert.Equal([$"noted-{index + 1}: Journal of Test programme {s.Code} ({journal}): Seal {chains[index][1]} has another hash now: the chain was rewritten at or before it since the hash was noted, even where each seal matches its record."],
            summary);
        var rows = Rows(Table(after, "heads-noted")).Select(Cells).ToList();
        Assert.StartsWith("Rewritten", rows[index][3]);
        Assert.All(rows.Where((_, i) => i != index), r => Assert.StartsWith("Still in the chain", r[3]));

        // lines that cannot be read are named on the box; the chains are checked all the same
        var bad = await Read(page, $"/ledger/verification?noted={Uri.EscapeDataString("audit,12\nchain,seal,hash\naudit,1,xyz")}");
        Assert.Equal(["noted: The heads you noted: line 1 (audit,12) must be the chain, the seal's number and its hash, separated by commas, such as audit,1204,9f2c… (64 hex digits)",
            "noted: The heads you noted: line 3 (audit,1,xyz) must give the seal's hash as 64 hex digits"], PageForms.SummaryItems(bad));
        Assert.Contains("govuk-textarea--error", bad);
        Assert.Equal(chains.Count, Rows(Table(bad, "chains")).Count());
    }

    [Fact]
    public async Task AProgrammesAdmin_SeesTheirProgrammesTrailAndJournal_AndASchoolOrAreaLeadOpensNeither()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        await Sealing.SealAllAsync(Db.DataSource);

        using var admin = await PageAsync(Db, w.Admin.UserName);
        var trail = await Read(admin, "/ledger/trail");
        var ids = EventRows(trail).Select(r => long.Parse(r[0])).ToList();
        var theirs = ApiIds((await w.Admin.GetAsync("/api/v1/audit/events?limit=1000")).Expect(HttpStatusCode.OK).Json);
        Assert.Equal(theirs.Take(100), ids);
        Assert.DoesNotContain(ids, x => x == 0);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE id = ANY($1) AND programme_id IS DISTINCT FROM $2", ids.ToArray(), w.S.ProgrammeId));
        Assert.True(await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE programme_id = $1", other.ProgrammeId) > 0);
        var verification = await Read(admin, "/ledger/verification");
        Assert.Equal([$"journal:{w.S.ProgrammeId}"], Rows(Table(verification, "chains")).Select(r => Regex.Match(Cells(r)[0], @"\((.*)\)").Groups[1].Value).ToArray());
        Assert.Contains("href=\"/ledger/trail\"", trail); // in the navigation
        Assert.Contains("href=\"/ledger/verification\"", trail);

        foreach (var (user, home) in new[] { (w.School.UserName, "/school"), (w.Lead.UserName, "/review") })
        {
            using var page = await PageAsync(Db, user);
            foreach (var url in new[] { "/ledger/trail", "/ledger/trail?handler=csv", "/ledger/verification" })
            {
                using var answer = await page.GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
                Assert.StartsWith("/forbidden", answer.Headers.Location?.OriginalString.Replace("http://localhost", ""));
            }
            Assert.DoesNotContain("/ledger/trail", await page.GetStringAsync(home));
        }
    }
}
