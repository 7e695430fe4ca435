using System.Net;
using GrantLedger.Web.Cli;
using GrantLedger.Web.Demo;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>
/// <c>audit check</c>: the ledger's invariants over the rows as they stand, each naming what breaks it, as an auditor or a
/// finance officer runs it against a live database or a restored backup.
/// </summary>
public sealed class LedgerCheckTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<(int Exit, string[] Output)> CheckAsync(int most = 20, long? programmeId = null)
    {
        var output = new StringWriter();
        var exit = await AuditCommands.CheckAsync(Db.DataSource, output, CancellationToken.None, most, programmeId);
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// The demo's two pilots, written by the service as a school, its lead and the funder's finance team work (claims in every
    /// state, returned and submitted again, sanctioned for less, in payment runs, paid and failed): every check holds.
    /// </summary>
    [Fact]
    public async Task TheServicesOwnWork_HoldsEveryCheck()
    {
        await using (var scope = Db.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(CancellationToken.None);
        Assert.True(await Db.ScalarAsync("SELECT count(DISTINCT state) FROM claim") >= 8, "the demo has claims in most states");

        var (exit, output) = await CheckAsync();
        Assert.Equal(0, exit);
        Assert.Equal(GrantLedger.Web.Audit.LedgerChecks.All.Select(c => "holds " + c.Name), output[..^1]);
        Assert.Equal($"Every one of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks holds.", output[^1]);
    }

    /// <summary>
    /// Rows changed with the triggers off, as a restore with <c>--disable-triggers</c> or the owner's keys could leave them:
    /// a claim's row naming another submitter than its history, two lines of a claim holding one transfer, a line holding
    /// another claim's transfer, a stored balance a penny off its transfers, a staff day longer than its claims hold, a claim
    /// entry with no claim and no transfers. Each check they break is named, with the rows, and the command exits 3; past
    /// the most asked for, it says there are more.
    /// </summary>
    [Fact]
    public async Task RowsChangedWithTheTriggersOff_AreNamedByTheChecksTheyBreak()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        var other = await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        Assert.Equal(0, (await CheckAsync()).Exit);
        var firstHold = await Db.ScalarAsync($"SELECT money_hold_id FROM claim_line WHERE id = {lines[0]}");
        var account = await Db.TextAsync($"SELECT code || ' GBP' FROM account a JOIN transfer t ON t.debit_account_id = a.id WHERE t.id = {firstHold}");
        // the holds the changes below leave to no line: the second line's and the other claim's money holds, and its time hold
        var orphaned = new[]
        {
            await Db.ScalarAsync($"SELECT money_hold_id FROM claim_line WHERE id = {lines[1]}"),
            await Db.ScalarAsync($"SELECT money_hold_id FROM claim_line WHERE claim_id = {other}"),
            await Db.ScalarAsync($"SELECT time_hold_id FROM claim_line WHERE claim_id = {other}"),
        };

        await Db.DataSource.TamperAsync($"""
            UPDATE claim SET submitted_by = {w.Admin.UserId} WHERE id IN ({id}, {other});
            UPDATE claim_line SET money_hold_id = {firstHold} WHERE id = {lines[1]};
            UPDATE account SET debits_posted = debits_posted + 1 WHERE id = (SELECT debit_account_id FROM transfer WHERE id = {firstHold});
            UPDATE claim_line SET money_hold_id = {firstHold}, time_hold_id = NULL WHERE claim_id = {other};
            UPDATE staff_day SET minutes = minutes + 30 WHERE work_date = '2026-10-07';
            INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
            SELECT programme_id, value_date, 'written by hand', 'claim' FROM journal_entry WHERE id = (SELECT entry_id FROM transfer WHERE id = {firstHold});
            """);
        var byHand = await Db.ScalarAsync("SELECT max(id) FROM journal_entry");
        var (exit, output) = await CheckAsync();
        Assert.Equal(3, exit);
        string[] Broken(string name) =>
            output.SkipWhile(l => l != "BROKEN " + name).Skip(1).TakeWhile(l => l.StartsWith("         ")).Select(l => l.Trim()).ToArray();
        Assert.Equal([$"claim {id}: submitted_by {w.Admin.UserId}, its history says {w.School.UserId}", $"claim {other}: submitted_by {w.Admin.UserId}, its history says {w.School.UserId}"],
            Broken("a claim's submitter, deciders, reason and payment run are what its history says").Order());
        Assert.Equal([$"claim {id} lines 1 and 2 both hold transfer {firstHold}"], Broken("a hold is one line's"));
        Assert.StartsWith(account + ": stored ", Assert.Single(Broken("account balances equal the sum of their transfers")));
        Assert.Single(Broken("the trial balance is zero per programme and unit"));
        Assert.Equal([$"claim {other} line 1 (money hold, transfer {firstHold})"], Broken("a line's hold is the pending transfer its claim's submission wrote for it"));
        Assert.Matches(@"^school \d+, STAFF3 on 2026-10-07: (\d+) minutes booked, \d+ held by its claims$",
            Assert.Single(Broken("a staff member's day is what their school's claims hold, at most a full day")));
        Assert.Equal([$"entry {byHand} (no claim named)"], Broken("every claim entry is named by the transition that made it"));
        Assert.Equal(orphaned.Order(), Broken("every unresolved claim hold belongs to a claim awaiting a decision")
            .Select(l => long.Parse(System.Text.RegularExpressions.Regex.Match(l, @"^pending transfer (\d+) of entry \d+$").Groups[1].Value)).Order());
        Assert.Equal([$"entry {byHand}"], Broken("every journal entry has transfers"));
        Assert.Contains("holds no limited account is past its limit (available never negative)", output);
        var broken = output.Count(l => l.StartsWith("BROKEN "));
        Assert.Equal($"{broken} of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks do not hold: each row named above breaks one.", output[^1]);

        var (_, first) = await CheckAsync(most: 1);
        Assert.Equal("… and more (the first 1 shown; --most shows more)",
            first.SkipWhile(l => l != "BROKEN a claim's submitter, deciders, reason and payment run are what its history says").ElementAt(2).Trim());
        Assert.Equal(2, (await CheckAsync(most: 0)).Exit);
    }

    /// <summary>One check broken, by one row: the command names it and says so in the singular, and exits 3.</summary>
    [Fact]
    public async Task OneCheckBroken_IsSaidOfOne()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        await Db.DataSource.TamperAsync("UPDATE staff_day SET minutes = minutes + 30 WHERE work_date = '2026-10-07'");
        var (exit, output) = await CheckAsync();
        Assert.Equal(3, exit);
        Assert.Equal(["BROKEN a staff member's day is what their school's claims hold, at most a full day"], output.Where(l => l.StartsWith("BROKEN ")));
        Assert.Equal($"1 of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks does not hold: each row named above breaks it.", output[^1]);
    }

    /// <summary>
    /// An auditor or a programme's own admin asks the API and the ledger's checks page about one programme: the rows that break a
    /// check in that programme are named there, and another programme's checks all hold; a school business manager is refused,
    /// and asking for more than 100 rows a check is refused naming most.
    /// </summary>
    [Fact]
    public async Task OneProgrammesChecks_ThroughTheApiAndItsPage_NameItsOwnRowsAlone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other");
        await Db.DataSource.TamperAsync("UPDATE staff_day SET minutes = minutes + 30 WHERE work_date = '2026-10-07'");
        var auditor = await w.S.AuditorAsync(Db);
        const string staffDays = "a staff member's day is what their school's claims hold, at most a full day";

        var report = (await auditor.GetAsync($"/api/v1/audit/programmes/{w.S.ProgrammeId}/checks")).Expect(HttpStatusCode.OK).Json;
        Assert.False(report["holds"]!.GetValue<bool>());
        var checks = report["checks"]!.AsArray();
        Assert.Equal(GrantLedger.Web.Audit.LedgerChecks.All.Select(c => c.Name), checks.Select(c => c!["name"]!.GetValue<string>()));
        var broken = Assert.Single(checks, c => !c!["holds"]!.GetValue<bool>())!;
        Assert.Equal(staffDays, broken["name"]!.GetValue<string>());
        Assert.Matches(@"^school \d+, STAFF3 on 2026-10-07: \d+ minutes booked, \d+ held by its claims$", Assert.Single(broken["found"]!.AsArray())!.GetValue<string>());
        Assert.True((await auditor.GetAsync($"/api/v1/audit/programmes/{other.ProgrammeId}/checks")).Expect(HttpStatusCode.OK).Json["holds"]!.GetValue<bool>());
        Assert.Equal(3, (await CheckAsync(programmeId: w.S.ProgrammeId)).Exit); // the command, asked about each programme, says the same
        var (otherExit, otherOutput) = await CheckAsync(programmeId: other.ProgrammeId);
        Assert.Equal(0, otherExit);
        Assert.EndsWith($"(programme {other.ProgrammeId}): its rows alone.", otherOutput[0]);
        Assert.Equal(2, (await CheckAsync(programmeId: 999_999)).Exit);

        Assert.False((await w.Admin.GetAsync($"/api/v1/audit/programmes/{w.S.ProgrammeId}/checks")).Expect(HttpStatusCode.OK).Json["holds"]!.GetValue<bool>());
        Assert.NotEqual(HttpStatusCode.OK, (await w.Admin.GetAsync($"/api/v1/audit/programmes/{other.ProgrammeId}/checks")).Status);
        (await w.School.GetAsync($"/api/v1/audit/programmes/{w.S.ProgrammeId}/checks")).ExpectProblem(HttpStatusCode.Forbidden);
        (await auditor.GetAsync($"/api/v1/audit/programmes/{w.S.ProgrammeId}/checks?most=101")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "most");

        using var page = await GrantLedger.Web.Tests.Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        var html = await PageTables.Read(page, await RunFromThePageAsync(page, auditor, w.S.ProgrammeId));
        var index = GrantLedger.Web.Audit.LedgerChecks.All.Select(c => c.Name).ToList().IndexOf(staffDays) + 1;
        Assert.Contains($"<a href=\"#check-{index}\">Does not hold: {staffDays}</a>", html);
        Assert.Contains($"1 of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks does not hold", html);
        Assert.Matches(@"<li class=""gl-break-all"">school \d+, STAFF3 on 2026-10-07: \d+ minutes booked", html);
        Assert.Contains($"Every one of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks holds",
            await PageTables.Read(page, await RunFromThePageAsync(page, auditor, other.ProgrammeId)));
    }

    /// <summary>Presses the checks page's "Run the checks now" for the programme; returns the address it sends the browser to, once the run has finished.</summary>
    private static async Task<string> RunFromThePageAsync(HttpClient page, ApiClient caller, long programmeId)
    {
        var token = GrantLedger.Web.Tests.Security.PageFormFuzzTests.TokenOf(await page.GetStringAsync($"/ledger/checks?programmeId={programmeId}"));
        using var answer = await page.PostAsync("/ledger/checks", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["programmeId"] = programmeId.ToString(), [GrantLedger.Web.Tests.Security.PageFormFuzzTests.Token] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        var location = answer.Headers.Location!.OriginalString;
        var run = Assert.Single(System.Text.RegularExpressions.Regex.Matches(location, @"^/ledger/checks\?programmeId=(\d+)&run=(\d+)$"));
        Assert.Equal(programmeId.ToString(), run.Groups[1].Value);
        await FinishedAsync(caller, long.Parse(run.Groups[2].Value));
        return location;
    }

    /// <summary>The run, once the background runner has finished it (at most a minute).</summary>
    private static async Task<System.Text.Json.Nodes.JsonNode> FinishedAsync(ApiClient caller, long runId)
    {
        for (var waited = 0; ; waited += 100)
        {
            var run = (await caller.GetAsync($"/api/v1/audit/check-runs/{runId}")).Expect(HttpStatusCode.OK).Json;
            if (run["state"]!.GetValue<string>() is "succeeded" or "failed") return run;
            Assert.True(waited < 60_000, $"check run {runId} is still {run["state"]} after a minute");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The checks run in the background when asked for, through the API or the checks page, and each run is kept: who asked and
    /// when, and its report (the broken staff day named, at most "most" rows a check). The page shows the last run and lists the
    /// earlier ones, each to be shown again; asking is on the audit trail. A school business manager cannot ask, another
    /// programme's admin cannot read the run, "most" outside 1 to 100 is refused naming it, and before any run the page says so. A run interrupted by a stopped instance is marked
    /// failed. One run waits per programme: asked for again while one waits, the waiting one is the answer.
    /// </summary>
    [Fact]
    public async Task ChecksAskedFor_RunInTheBackground_AndEachRunIsKeptWithItsReport()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        await Db.DataSource.TamperAsync("UPDATE staff_day SET minutes = minutes + 30 WHERE work_date = '2026-10-07'");
        var auditor = await w.S.AuditorAsync(Db);
        var runs = $"/api/v1/audit/programmes/{w.S.ProgrammeId}/check-runs";
        const string staffDays = "a staff member's day is what their school's claims hold, at most a full day";

        var asked = (await auditor.PostAsync(runs, new { most = 5 })).Expect(HttpStatusCode.Accepted);
        var first = asked.Id;
        Assert.Equal($"/api/v1/audit/check-runs/{first}", asked.Headers.Location!.OriginalString);
        var run = await FinishedAsync(auditor, first);
        Assert.Equal("succeeded", run["state"]!.GetValue<string>());
        Assert.Equal(auditor.UserName, run["requestedBy"]!.GetValue<string>());
        Assert.Equal(5, run["most"]!.GetValue<int>());
        var report = run["report"]!;
        Assert.False(report["holds"]!.GetValue<bool>());
        Assert.Equal(w.S.ProgrammeId, report["programmeId"]!.GetValue<long>());
        var broken = Assert.Single(report["checks"]!.AsArray(), c => !c!["holds"]!.GetValue<bool>())!;
        Assert.Equal(staffDays, broken["name"]!.GetValue<string>());
        Assert.Matches(@"^school \d+, STAFF3 on 2026-10-07: \d+ minutes booked", Assert.Single(broken["found"]!.AsArray())!.GetValue<string>());
        Assert.Equal(1, await Db.ScalarAsync(
            "SELECT count(*) FROM audit_event WHERE action = 'ledger-checks.requested' AND record_type = 'ledger_check_run' AND record_id = $1", first));

        (await w.School.PostAsync(runs, new { })).ExpectProblem(HttpStatusCode.Forbidden);
        (await auditor.PostAsync(runs, new { most = 0 })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "most");
        (await auditor.PostAsync("/api/v1/audit/programmes/999999/check-runs", new { })).ExpectProblem(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/v1/audit/check-runs/999999")).ExpectProblem(HttpStatusCode.NotFound);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other", root: w.S.Root);
        Assert.NotEqual(HttpStatusCode.OK, (await (await other.ProgrammeAdminAsync(Db)).GetAsync($"/api/v1/audit/check-runs/{first}")).Status);

        using var page = await GrantLedger.Web.Tests.Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        Assert.Contains("The checks have not been run for this programme yet.", await PageTables.Read(page, $"/ledger/checks?programmeId={other.ProgrammeId}"));
        Assert.Contains($"Run {first}, asked for by {auditor.UserName}", await PageTables.Read(page, $"/ledger/checks?programmeId={w.S.ProgrammeId}"));
        var second = await RunFromThePageAsync(page, auditor, w.S.ProgrammeId);
        var secondId = long.Parse(second.Split("run=")[1]);
        var html = await PageTables.Read(page, second);
        Assert.Contains($"Run {secondId}, asked for by {auditor.UserName}", html);
        Assert.Contains($"{secondId} (shown)", html);
        Assert.Contains($"href=\"/ledger/checks?programmeId={w.S.ProgrammeId}&run={first}\"", html);
        Assert.Contains($"Run {first}, asked for by", await PageTables.Read(page, $"/ledger/checks?programmeId={w.S.ProgrammeId}&run={first}"));
        var listed = (await auditor.GetAsync(runs)).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal([secondId, first], listed.Select(r => r!["id"]!.GetValue<long>()));
        Assert.Equal(GrantLedger.Web.Audit.LedgerChecks.NamedByDefault, listed[0]!["most"]!.GetValue<int>());
        Assert.Equal([secondId], (await auditor.GetAsync($"{runs}?limit=1")).Expect(HttpStatusCode.OK).Json.AsArray().Select(r => r!["id"]!.GetValue<long>()));

        // a run left running by an instance that stopped (nobody holds its lock) is marked failed, saying why, and shown so
        var stopped = await Db.ScalarAsync(
            "INSERT INTO ledger_check_run (programme_id, most, state, requested_by, started_at) SELECT programme_id, 20, 'running', requested_by, now() FROM ledger_check_run WHERE id = $1 RETURNING id",
            first);
        await GrantLedger.Web.Audit.LedgerCheckRunner.FailInterruptedAsync(Db.DataSource, CancellationToken.None);
        Assert.Equal(GrantLedger.Web.Audit.LedgerCheckRunner.Interrupted, (await FinishedAsync(auditor, stopped))["error"]!.GetValue<string>());
        Assert.Contains($"Failed</strong> Run {stopped}, asked for by {auditor.UserName}", await PageTables.Read(page, $"/ledger/checks?programmeId={w.S.ProgrammeId}"));

        // one run waits per programme: PostgreSQL refuses a script's second (migration 0099), and a run asked for while one
        // waits (written as another instance writes it, then held back from the runner by its row's lock) is answered with it
        var twice = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(
            "INSERT INTO ledger_check_run (programme_id, most, requested_by) VALUES ($1, 20, $2), ($1, 20, $2)", w.S.ProgrammeId, auditor.UserId));
        Assert.Equal("ledger_check_run_one_waiting", twice.ConstraintName);
        var waiting = await Db.ScalarAsync("INSERT INTO ledger_check_run (programme_id, most, requested_by) VALUES ($1, 20, $2) RETURNING id",
            w.S.ProgrammeId, w.Admin.UserId);
        await using (var held = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await held.BeginTransactionAsync();
            await using var hold = new Npgsql.NpgsqlCommand("SELECT state FROM ledger_check_run WHERE id = $1 FOR UPDATE", held, tx) { Parameters = { new() { Value = waiting } } };
            if (await hold.ExecuteScalarAsync() is "queued") // unless the runner's poll, every 2 s, came in the millisecond between
            {
                var requests = await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'ledger-checks.requested'");
                var again = (await auditor.PostAsync(runs, new { most = 7 })).Expect(HttpStatusCode.Accepted).Json;
                Assert.Equal(waiting, again["id"]!.GetValue<long>());
                Assert.Equal((w.Admin.UserName, 20), (again["requestedBy"]!.GetValue<string>(), again["most"]!.GetValue<int>()));
                Assert.Equal(requests, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'ledger-checks.requested'"));
            }
            await tx.RollbackAsync();
        }
        Assert.Equal("succeeded", (await FinishedAsync(auditor, waiting))["state"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM ledger_check_run WHERE state = 'queued'"));
    }
}
