using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

public sealed class LedgerApiTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<Scenario> FundedAsync()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "300.00");
        return s;
    }

    [Fact]
    public async Task Accounts_SchoolSeesOnlyItsOwn_AreaLeadItsArea_StaffEverything()
    {
        var s = await FundedAsync();
        var school = await s.SchoolUserAsync(Db, 0);
        var lead = await s.AreaLeadAsync(Db, 1);
        var mine = (await school.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/accounts")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.All(mine, a => Assert.Equal(s.Schools[0].Id, a!["schoolId"]!.GetValue<long>()));
        Assert.NotEmpty(mine);
        var area = (await lead.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/accounts")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.All(area, a => Assert.Equal(s.Schools[1].Id, a!["schoolId"]!.GetValue<long>()));
        var all = (await (await s.AuditorAsync(Db)).GetAsync($"/api/v1/programmes/{s.ProgrammeId}/accounts")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Contains(all, a => a!["code"]!.GetValue<string>() == "tp:2026-27:unallocated");

        var otherAccount = (await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available")))["id"]!.GetValue<long>();
        (await school.GetAsync($"/api/v1/accounts/{otherAccount}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await school.GetAsync($"/api/v1/accounts/{otherAccount}/statement")).ExpectProblem(HttpStatusCode.Forbidden);
        (await school.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance")).ExpectProblem(HttpStatusCode.Forbidden);
        (await school.GetAsync("/api/v1/accounts/987654")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Accounts_PagedByNextCursor_GiveEveryAccountOnce_GbpAndMinutesSharingACode(int limit)
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        await s.FundAsync("1000.00", minutes: 4500); // a GBP and a MIN funding account, and unallocated, each pair sharing a code
        await s.AllocateEachAsync("staff-cover", "300.00");
        var url = $"/api/v1/programmes/{s.ProgrammeId}/accounts";
        var all = (await s.Root.GetAsync(url + "?limit=5000")).Expect(HttpStatusCode.OK).Json;
        Assert.Null(all["nextCursor"]);
        var expected = all["items"]!.AsArray().Select(a => (a!["code"]!.GetValue<string>(), a["unit"]!.GetValue<string>())).ToList();
        Assert.Contains(expected.GroupBy(a => a.Item1), g => g.Count() == 2); // a GBP and a MIN account share a code

        var seen = new List<(string, string)>();
        string? cursor = null;
        do
        {
            var page = (await s.Root.GetAsync($"{url}?limit={limit}" + (cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor))))
                .Expect(HttpStatusCode.OK).Json;
            var items = page["items"]!.AsArray();
            Assert.InRange(items.Count, 1, limit);
            seen.AddRange(items.Select(a => (a!["code"]!.GetValue<string>(), a["unit"]!.GetValue<string>())));
            cursor = page["nextCursor"]?.GetValue<string>();
            Assert.True(cursor is null || items.Count == limit);
        } while (cursor is not null && seen.Count <= expected.Count);
        Assert.Equal(expected, seen);

        // An old client's after, a code alone, still reads on after every account of that code.
        var code = expected[0].Item1;
        var rest = (await s.Root.GetAsync($"{url}?limit=5000&after={Uri.EscapeDataString(code)}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Equal(expected.Where(a => string.CompareOrdinal(a.Item1, code) > 0).Select(a => a.Item1), rest.Select(a => a!["code"]!.GetValue<string>()));
    }

    /// <summary>
    /// The accounts list's unit is GBP or MIN, as the journal search's is: another ("gbp", "minutes", "£") is refused naming
    /// unit, where it answered an empty page, which read as a programme with no accounts in that unit.
    /// </summary>
    [Fact]
    public async Task Accounts_OfAUnitThatIsNone_AreRefusedNamingUnit_NotAnEmptyPage()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.00", minutes: 4500);
        var url = $"/api/v1/programmes/{s.ProgrammeId}/accounts";
        Assert.All((await s.Root.GetAsync(url + "?unit=MIN")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray(), a => Assert.Equal("MIN", a!["unit"]!.GetValue<string>()));
        foreach (var unit in new[] { "gbp", "minutes", "£" })
            (await s.Root.GetAsync($"{url}?unit={Uri.EscapeDataString(unit)}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "unit");
    }

    [Fact]
    public async Task Statement_ShowsEachTransferWithARunningBalance_AndAnOpeningBalanceBeforeTheRange()
    {
        var s = await FundedAsync();
        var account = (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["id"]!.GetValue<long>();
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"] },
            amount = "50.25", reason = "plan", valueDate = "2026-10-05",
        })).Expect(HttpStatusCode.Created);

        var full = (await s.Root.GetAsync($"/api/v1/accounts/{account}/statement")).Expect(HttpStatusCode.OK).Json;
        var lines = full["lines"]!.AsArray();
        Assert.Equal(2, lines.Count);
        Assert.Equal("300.00", lines[0]!["credit"]!.GetValue<string>());
        Assert.Equal("300.00", lines[0]!["runningBalance"]!.GetValue<string>());
        Assert.Equal("50.25", lines[1]!["debit"]!.GetValue<string>());
        Assert.Equal("249.75", lines[1]!["runningBalance"]!.GetValue<string>());
        Assert.Equal("virement", lines[1]!["causeType"]!.GetValue<string>());
        Assert.EndsWith(":action-plan:available", lines[1]!["counterAccount"]!.GetValue<string>());
        Assert.Equal("249.75", full["closingBalance"]!.GetValue<string>());

        var october = (await s.Root.GetAsync($"/api/v1/accounts/{account}/statement?from=2026-10-01&to=2026-10-31")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("300.00", october["openingBalance"]!.GetValue<string>());
        Assert.Single(october["lines"]!.AsArray());
        (await s.Root.GetAsync($"/api/v1/accounts/{account}/statement?from=2026-11-01&to=2026-10-01")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to");
    }

    [Fact]
    public async Task Accounts_AsOfADate_ShowEachAccountsOwnTransfersUpToThatDay()
    {
        var s = await FundedAsync();
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"] },
            amount = "50.25", reason = "plan", valueDate = "2026-10-05",
        })).Expect(HttpStatusCode.Created);
        var school = await s.SchoolUserAsync(Db, 0);
        var code = s.SchoolAccount(0, "staff-cover", "available");
        var accounts = $"/api/v1/programmes/{s.ProgrammeId}/accounts?schoolId={s.Schools[0].Id}";

        var september = (await school.GetAsync(accounts + "&asOf=2026-09-30")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray()
            .Single(a => a!["code"]!.GetValue<string>() == code)!;
        Assert.Equal("300.00", september["creditsPosted"]!.GetValue<string>());
        Assert.Equal("0.00", september["debitsPosted"]!.GetValue<string>());
        var october = (await school.GetAsync(accounts + "&asOf=2026-10-31")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray()
            .Single(a => a!["code"]!.GetValue<string>() == code)!;
        Assert.Equal("50.25", october["debitsPosted"]!.GetValue<string>());
        Assert.Equal("249.75", october["balance"]!.GetValue<string>());

        var id = september["id"]!.GetValue<long>();
        var one = (await school.GetAsync($"/api/v1/accounts/{id}?asOf=2026-09-30")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("300.00", one["balance"]!.GetValue<string>());
    }

    [Fact]
    public async Task TrialBalance_AsOfADate_AndAsRecordedByAMoment_BothBalance()
    {
        var s = await FundedAsync();
        var before = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        // a back-dated allocation recorded now, valued in September
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = "2026-09-15",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"], amount = "10.00" } },
        })).Expect(HttpStatusCode.Created);

        var august = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance?asOf=2026-08-31")).Expect(HttpStatusCode.OK).Json;
        Assert.Empty(august["rows"]!.AsArray());
        var september = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance?asOf=2026-09-30")).Expect(HttpStatusCode.OK).Json;
        var unallocated = september["rows"]!.AsArray().Single(r => r!["account"]!.GetValue<string>() == "tp:2026-27:unallocated")!;
        Assert.Equal("-390.00", unallocated["balance"]!.GetValue<string>()); // 1,000 funded - 610 allocated, shown as debits less credits
        var asRecorded = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance?asOf=2026-09-30&recordedBy={Uri.EscapeDataString(before.ToString("O"))}"))
            .Expect(HttpStatusCode.OK).Json;
        var then = asRecorded["rows"]!.AsArray().Single(r => r!["account"]!.GetValue<string>() == "tp:2026-27:unallocated")!;
        Assert.Equal("-400.00", then["balance"]!.GetValue<string>());
        foreach (var tb in new[] { september, asRecorded })
            Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
        var grouped = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance?depth=3")).Expect(HttpStatusCode.OK).Json;
        Assert.Contains(grouped["rows"]!.AsArray(), r => r!["account"]!.GetValue<string>() == "tp:2026-27:school");
    }

    [Fact]
    public async Task Entry_ShowsASchoolOnlyItsOwnTransfers_AnAreaLeadItsAreas_AndStaffEveryOne()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var allocation = $"/api/v1/journal-entries/{await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'")}";
        string Available(int school) => s.SchoolAccount(school, "staff-cover", "available");
        async Task<string[]> CreditedAsync(ApiClient reader, string entry) =>
            (await reader.GetAsync(entry)).Expect(HttpStatusCode.OK).Json["transfers"]!.AsArray()
            .Select(t => t!["creditAccount"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal([Available(0)], await CreditedAsync(await s.SchoolUserAsync(Db, 0), allocation));
        Assert.Equal([Available(2), Available(3)], await CreditedAsync(await s.AreaLeadAsync(Db, 1), allocation));
        string[] all = [Available(0), Available(1), Available(2), Available(3)];
        Assert.Equal(all, await CreditedAsync(await s.AuditorAsync(Db), allocation));
        Assert.Equal(all, await CreditedAsync(await s.FinanceAsync(Db), allocation));
    }

    [Fact]
    public async Task Entry_ShowsATransferWithOneSideTheCallers_AndRefusesAnEntryWithNoneOfTheirs()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        // school 0 (area 0) gives £40 to school 2 (area 1): both ends see the transfer, which names the other's account
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[2].Id, categoryId = s.Categories["staff-cover"] },
            amount = "40.00", reason = "shared cover",
        })).Expect(HttpStatusCode.Created);
        var virement = $"/api/v1/journal-entries/{await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'virement'")}";
        var school = await s.SchoolUserAsync(Db, 0);
        foreach (var reader in new[] { school, await s.AreaLeadAsync(Db, 1) })
        {
            var transfer = (await reader.GetAsync(virement)).Expect(HttpStatusCode.OK).Json["transfers"]!.AsArray().Single()!;
            Assert.Equal(s.SchoolAccount(0, "staff-cover", "available"), transfer["debitAccount"]!.GetValue<string>());
            Assert.Equal("40.00", transfer["amount"]!.GetValue<string>());
        }
        (await (await s.SchoolUserAsync(Db, 1)).GetAsync(virement)).ExpectProblem(HttpStatusCode.Forbidden);
        var funding = $"/api/v1/journal-entries/{await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'funding'")}";
        (await school.GetAsync(funding)).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Reversal_UndoesAnAllocation_Once_AndTheEntryNamesItsReversal()
    {
        var s = await FundedAsync();
        var entryId = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'");
        var reversal = (await s.Root.PostAsync($"/api/v1/journal-entries/{entryId}/reversal", new { reason = "wrong amount", valueDate = "2026-10-01" }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal(entryId, reversal["reversesEntryId"]!.GetValue<long>());
        Assert.Equal("1000.00", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        var original = (await s.Root.GetAsync($"/api/v1/journal-entries/{entryId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(reversal["id"]!.GetValue<long>(), original["reversedByEntryId"]!.GetValue<long>());
        (await s.Root.PostAsync($"/api/v1/journal-entries/{entryId}/reversal", new { reason = "again" }))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "already-reversed");
        (await s.Root.PostAsync($"/api/v1/journal-entries/{entryId}/reversal", new { reason = "" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        (await s.Root.PostAsync("/api/v1/journal-entries/999999/reversal", new { reason = "x" })).ExpectProblem(HttpStatusCode.NotFound);
    }

    /// <summary>A reversal dated ahead is refused: it would take the school's allocation back only later, after it could be spent.</summary>
    [Fact]
    public async Task Reversal_DatedInTheFuture_Returns422NamingValueDate_AndTheEntryStaysUnreversed()
    {
        var s = await FundedAsync();
        var entryId = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'");
        var tomorrow = GrantLedger.Core.Ledger.UkTime.Today.AddDays(1).ToString("yyyy-MM-dd");
        var problem = (await s.Root.PostAsync($"/api/v1/journal-entries/{entryId}/reversal", new { reason = "wrong school", valueDate = tomorrow }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.Contains("cannot be in the future", problem["errors"]!["valueDate"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'reversal'"));

        (await s.Root.PostAsync($"/api/v1/journal-entries/{entryId}/reversal", new { reason = "wrong school" })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Reversal_OfMoneySinceMovedOn_Returns422SayingByHowMuch()
    {
        var s = await FundedAsync();
        var allocation = await Db.ScalarAsync("SELECT max(id) FROM journal_entry WHERE cause_type = 'allocation'");
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] },
            amount = "100.00", reason = "moved",
        })).Expect(HttpStatusCode.Created);
        var problem = (await s.Root.PostAsync($"/api/v1/journal-entries/{allocation}/reversal", new { reason = "undo" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "reversal-would-overdraw").Json;
        Assert.Equal("100.00", problem["shortfall"]!.GetValue<string>());
        // the account by its name as well as its code: the school's, the category's and the year's
        var account = problem["account"]!.GetValue<string>();
        Assert.Equal(await Db.TextAsync("SELECT name FROM account WHERE code = $1", account), problem["accountName"]!.GetValue<string>());
        Assert.Contains($"{problem["accountName"]} ({account})", problem["detail"]!.GetValue<string>());
    }

    /// <summary>
    /// The README says nextCursor is null on the last page; the accounts' last page (and the audit journal's and events')
    /// left it out, {"items":[…]}, and a client reading it as "is there more?" found no answer. It is there, and null.
    /// </summary>
    [Fact]
    public async Task CursorPagedLists_OnTheirLastPage_GiveNextCursorAsNull_NotLeftOut()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00");
        var auditor = await s.AuditorAsync(Db);
        var first = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/accounts?limit=1")).Expect(HttpStatusCode.OK).Json;
        var after = first["nextCursor"]!.GetValue<string>();
        var last = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/accounts?limit=100&after={Uri.EscapeDataString(after)}"))
            .Expect(HttpStatusCode.OK).Json.AsObject();
        Assert.NotEmpty(last["items"]!.AsArray());
        Assert.True(last.ContainsKey("nextCursor"), last.ToJsonString());
        Assert.Null(last["nextCursor"]);
        foreach (var path in new[] { $"/api/v1/audit/journal?programmeId={s.ProgrammeId}", "/api/v1/audit/events" })
        {
            var page = (await auditor.GetAsync(path)).Expect(HttpStatusCode.OK).Json.AsObject();
            Assert.True(page.ContainsKey("nextCursor"), $"{path}: {page.ToJsonString()[..Math.Min(200, page.ToJsonString().Length)]}");
            Assert.Null(page["nextCursor"]);
        }
    }

    /// <summary>
    /// GET …/trial-balance?asOf=2030-01-01 answered 200 and the ledger page said "balances as of 1 January 2030", while
    /// exports refused the same date (422: cannot be in the future). Every as-of read refuses a future date the same way.
    /// </summary>
    [Fact]
    public async Task AsOfReads_OfAFutureDate_Are422NamingAsOf_AndTheLedgerPageSaysSo()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00");
        var auditor = await s.AuditorAsync(Db);
        var future = GrantLedger.Core.Ledger.UkTime.Today.AddDays(1);
        var day = future.ToString("yyyy-MM-dd");
        foreach (var path in new[]
                 {
                     $"/api/v1/programmes/{s.ProgrammeId}/trial-balance?asOf={day}", $"/api/v1/programmes/{s.ProgrammeId}/accounts?asOf={day}",
                     $"/api/v1/audit/programmes/{s.ProgrammeId}/balances?asOf={day}", $"/api/v1/audit/programmes/{s.ProgrammeId}/trial-balance?asOf={day}",
                 })
            Assert.Contains("future", (await auditor.GetAsync(path)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "asOf").Json.ToJsonString());
        (await auditor.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance?asOf={GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd}"))
            .Expect(HttpStatusCode.OK);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        var html = System.Net.WebUtility.HtmlDecode(await page.GetStringAsync(
            $"/ledger?programmeId={s.ProgrammeId}&asOf-day={future.Day}&asOf-month={future.Month}&asOf-year={future.Year}"));
        var problem = Assert.Single(PageForms.Problems(html));
        Assert.StartsWith("asOf", problem.Field);
        Assert.Contains("future", problem.Text);
        Assert.DoesNotContain($"as of {future:d MMMM yyyy}", html);
    }
}
