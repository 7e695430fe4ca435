using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Audit;

namespace GrantLedger.Bench;

/// <summary>
/// Claims submitted through HTTP, one per request, to the service running as a separate Release
/// process, driven by wrk on the same machine (bench/submit.lua); beside pgbench running the ledger's
/// one-statement transfer (bench/posting.pgbench.sql) with the same client count, on the same
/// cluster, in the same run. Submitting a draft is the request that posts one claim per transaction:
/// its hold (one journal entry, pending available → payable) with the claim's state change, history
/// row, staff-day booking and audit event, in one commit.
/// </summary>
public static class HttpPostingBench
{
    /// <param name="Budget">after the measurements, where one client's submission spends its time (<see cref="LatencyBudget"/>)</param>
    public sealed record Options(int Seconds, int[] Clients, int Rounds, int Schools, int History, string? Cluster, int? LogSlowMs, bool Budget = false);

    private sealed record Row(int Round, int Clients, Wrk.Run Http, long Submitted, string Commits, Pgbench.Run Raw, double ServiceCpuMs, double JitCpuMs,
        CpuMeter.Reading HttpCpu, CpuMeter.Reading RawCpu, Pgbench.Run Sql, CpuMeter.Reading SqlCpu, string HttpAutovacuum, string RawAutovacuum,
        WalWritten HttpWal, WalWritten RawWal, WalWritten SqlWal)
    {
        /// <summary>WAL bytes per submission (every answer counted), per pgbench transfer, per submission as SQL alone.</summary>
        public (double Submission, double Transfer, double SqlSubmission) WalBytes =>
            (HttpWal.PerOperation(Http.Requests), RawWal.PerOperation(Raw.Transactions), SqlWal.PerOperation(Sql.Transactions));

        /// <summary>The machine's and PostgreSQL's CPU per submission made by pgbench as SQL alone.</summary>
        public (double Machine, double Cluster) PerSqlSubmission => SqlCpu.PerOperation(Sql.Transactions);

        public double Ratio => Http.RequestsPerSecond / Raw.PerSecond;
        public double SqlRatio => Sql.PerSecond / Raw.PerSecond;
        public double CpuMsPerRequest => Http.Requests == 0 ? double.NaN : ServiceCpuMs / Http.Requests;
        public double JitMsPerRequest => Http.Requests == 0 ? double.NaN : JitCpuMs / Http.Requests;

        /// <summary>The machine's and PostgreSQL's CPU per submission (every answer counted: wrk's requests).</summary>
        public (double Machine, double Cluster) PerSubmission => HttpCpu.PerOperation(Http.Requests);

        /// <summary>The machine's and PostgreSQL's CPU per pgbench transaction.</summary>
        public (double Machine, double Cluster) PerTransfer => RawCpu.PerOperation(Raw.Transactions);

        /// <summary>
        /// What the rates' ratio would be if the machine's CPU were all that limited both: a transfer's CPU over a
        /// submission's. It moves far less between runs than the rates do.
        /// </summary>
        public double CpuRatio => PerTransfer.Machine / PerSubmission.Machine;
    }


    /// <summary>Submissions sent one by one with every statement logged, to count the statements one costs.</summary>
    private const int Counted = 20;

    /// <summary>
    /// Seconds of submissions at a measurement's client count, unmeasured, before it: the service's connection pool
    /// follows the load within about 10 s (DatabaseEndpoint.CreateDataSource), so a measurement sees the pool its load
    /// keeps, not the one the warm-up or the previous measurement left (docs/performance.md, section 9).
    /// </summary>
    private const int SettleSeconds = 12;

    /// <summary>Drafts for --budget: enough for 12 s of settling and 4 s recorded at one client on a fast machine.</summary>
    private const int BudgetSettleDrafts = 20_000, BudgetDrafts = 8_000;

    public static async Task<int> RunAsync(Options o, TextWriter report)
    {
        Wrk.Require();
        if (o.Budget) LatencyBudget.Require();
        var repo = Args.RepositoryRoot();
        await using var db = await BenchCluster.StartAsync(o.Cluster);
        if (o.LogSlowMs is { } ms) await db.LogSlowStatementsAsync(ms);
        var seed = Stopwatch.StartNew();
        var p = await BenchProgramme.SeedAsync(db, o.Schools, o.History);
        await BenchClaims.EnsurePeriodsAsync(db, p.ProgrammeId);
        var tokens = await BenchUsers.SchoolManagersAsync(db, p.ProgrammeId);
        var schoolIds = tokens.Keys.Order().ToArray();
        var perRun = Math.Max(20_000, o.Seconds * 2_500);
        var warmUp = await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, 1 + BenchClaims.WarmUpSlices * BenchClaims.WarmUpSlice);
        // per measurement: drafts for settling, for the service, and a batch of its own for pgbench's submissions as SQL alone
        // (bench/submission.pgbench.sql, which counts its drafts from the batch's first)
        var runs = new List<(List<DraftClaim> Settle, List<DraftClaim> Http, List<DraftClaim> Sql)>();
        for (var i = 0; i < o.Rounds * o.Clients.Length; i++)
            runs.Add((await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, SettleSeconds * 2_500),
                      await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, perRun),
                      await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, Math.Max(20_000, o.Seconds * 4_000))));
        var user0 = await SchoolManagersFromAsync(db, p.ProgrammeId);
        var counted = await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, Counted);
        var budget = o.Budget ? await BenchClaims.DraftsAsync(db, p.ProgrammeId, schoolIds, BudgetSettleDrafts + BudgetDrafts) : null;
        await db.Exec("ANALYZE");
        report.WriteLine($"cluster: {await db.SettingsAsync()}");
        report.WriteLine($"seeded {o.Schools:N0} schools (a business manager and token each), {o.History:N0} history entries, " +
                         $"{warmUp.Count + runs.Sum(r => r.Settle.Count + r.Http.Count + r.Sql.Count):N0} draft claims in {seed.Elapsed.TotalSeconds:F1} s; " +
                         $"{o.Seconds} s per measurement after {SettleSeconds} s at its client count, {o.Rounds} round(s)");

        var data = Path.Combine(db.Root, "wrk");
        var script = Path.Combine(repo, "bench", "submit.lua");
        await using var service = await ServiceHost.StartAsync(db);
        report.WriteLine($"service: {ServiceHost.WebDll()} on {service.BaseAddress} (Release, Kestrel), wrk {o.Clients.Max()} connections max");

        // Warm-up: JIT, EF model, connection pool, prepared statements on the pooled connections.
        await service.FirstSubmitAsync(tokens[warmUp[0].SchoolId], warmUp[0].Id);
        warmUp.RemoveAt(0);
        report.WriteLine(await ServiceHost.SettleAsync(db));
        report.WriteLine(await BenchClaims.WarmUpAsync(db, service, script, o.Clients.Max(), warmUp, s => tokens[s], data));

        var rows = new List<Row>();
        var next = 0;
        for (var round = 1; round <= o.Rounds; round++)
            foreach (var clients in o.Clients)
            {
                var (settle, drafts, sqlDrafts) = runs[next++];
                await Wrk.RunAsync(service.BaseAddress, script, clients, SettleSeconds,
                    BenchClaims.WriteWrkData(data, $"settle-{round}-{clients}.txt", settle, s => tokens[s]));
                var file = BenchClaims.WriteWrkData(data, $"run-{round}-{clients}.txt", drafts, s => tokens[s]);
                // each measurement starts from the same state: nothing left to seal, vacuumed, checkpointed (section 12)
                await ServiceHost.SettleAsync(db, vacuum: true);
                var ((((http, cpu, jit), httpCpu), httpAutovacuum), httpWal) = await db.WalDuringAsync(() => db.AutovacuumDuringAsync(() =>
                    CpuMeter.MeasureAsync(db.Postgres.DataDirectory, async () =>
                {
                    var (cpuBefore, jitBefore) = (service.CpuTime(), service.TieredCompilationThreads());
                    var run = await Wrk.RunAsync(service.BaseAddress, script, clients, o.Seconds, file);
                    return (run, service.CpuTime() - cpuBefore, ServiceHost.Between(jitBefore, service.TieredCompilationThreads()));
                })));
                var submitted = (long)(await db.Scalar("SELECT count(*) FROM claim WHERE id BETWEEN $1 AND $2 AND state = 'submitted'",
                    drafts[0].Id, drafts[^1].Id))!;
                var commits = await BenchClaims.CommitsAsync(db, drafts[0].Id, drafts[^1].Id);
                if (submitted >= drafts.Count) report.WriteLine($"warning: round {round} used every one of its {drafts.Count:N0} drafts: run with fewer --seconds");
                await ServiceHost.SettleAsync(db, vacuum: true);
                var (((raw, rawCpu), rawAutovacuum), rawWal) = await db.WalDuringAsync(() => db.AutovacuumDuringAsync(() => CpuMeter.MeasureAsync(db.Postgres.DataDirectory,
                    () => Pgbench.RunAsync(db, Path.Combine(repo, "bench", "posting.pgbench.sql"), clients, o.Seconds, Defines(p)))));
                await ServiceHost.SettleAsync(db, vacuum: true);
                var ((sql, sqlCpu), sqlWal) = await db.WalDuringAsync(() => CpuMeter.MeasureAsync(db.Postgres.DataDirectory,
                    () => Pgbench.RunAsync(db, Path.Combine(repo, "bench", "submission.pgbench.sql"), clients, o.Seconds,
                        new Dictionary<string, object>(Defines(p)) { ["first"] = sqlDrafts[0].Id, ["clients"] = clients, ["user0"] = user0, ["n"] = 0 })));
                await ProveSqlSubmissionsAsync(db, sqlDrafts, sql.Transactions);
                var row = new Row(round, clients, http, submitted, commits, raw, cpu.TotalMilliseconds, jit.TotalMilliseconds, httpCpu, rawCpu, sql, sqlCpu,
                    httpAutovacuum, rawAutovacuum, httpWal, rawWal, sqlWal);
                rows.Add(row);
                report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, {clients} client(s): HTTP {http.RequestsPerSecond:N0} submits/s (p99 {http.P99Ms:F2} ms, non-2xx {http.Non2xx}, " +
                    $"service CPU {row.CpuMsPerRequest:F2} ms/request, {row.JitMsPerRequest:F2} of it tiered compilation, claims per commit {commits}), " +
                    $"pgbench {raw.PerSecond:N0}/s (p99 {raw.P99Ms:F2} ms), ratio {row.Ratio:F2}; answers {HotBench.Answers(http)}; " +
                    $"CPU per submission {row.PerSubmission.Machine:F2} ms ({row.PerSubmission.Cluster:F2} of it PostgreSQL's), per pgbench transfer " +
                    $"{row.PerTransfer.Machine:F2} ms ({row.PerTransfer.Cluster:F2}), CPU ratio {row.CpuRatio:F2}; the submission as SQL alone " +
                    $"{sql.PerSecond:N0}/s (ratio {row.SqlRatio:F2}, CPU {row.PerSqlSubmission.Machine:F2} ms, {row.PerSqlSubmission.Cluster:F2} of it PostgreSQL's); " +
                    $"autovacuum during the service's measurement: {httpAutovacuum}; during pgbench's: {rawAutovacuum}; " +
                    $"WAL bytes per submission {row.WalBytes.Submission:N0} ({httpWal.From}..{httpWal.To}), per pgbench transfer {row.WalBytes.Transfer:N0} " +
                    $"({rawWal.From}..{rawWal.To}), per submission as SQL alone {row.WalBytes.SqlSubmission:N0}"));
            }

        string? budgetTable = null;
        if (budget is not null)
        {
            // after settling at one client, as the measurements do, 4 s recorded
            await Wrk.RunAsync(service.BaseAddress, script, 1, SettleSeconds,
                BenchClaims.WriteWrkData(data, "budget-settle.txt", budget[..BudgetSettleDrafts], s => tokens[s]));
            var file = BenchClaims.WriteWrkData(data, "budget.txt", budget[BudgetSettleDrafts..], s => tokens[s]);
            budgetTable = await LatencyBudget.MeasureAsync(service.Port, db.Postgres.Port, Path.Combine(data, "budget.tcpdump.txt"),
                () => Wrk.RunAsync(service.BaseAddress, script, 1, 4, file));
        }

        var statements = await StatementsPerSubmissionAsync(db, service, counted, s => tokens[s], o.LogSlowMs);
        report.WriteLine($"statements per submission (every statement logged for {Counted} submissions sent one by one): {statements}");

        // with the accounts' checks, every submitted claim holds exactly its lines' amounts, unresolved
        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.AccountsAndSubmittedClaims));
        report.WriteLine();
        report.WriteLine("| round | clients | HTTP submits/s | HTTP p50 / p99 ms | non-2xx | claims submitted | claims per commit | service CPU ms/request (JIT) | pgbench transfers/s | pgbench p50 / p99 ms | ratio (target ≥ 0.4) | machine CPU ms per submission (PostgreSQL) | per pgbench transfer (PostgreSQL) | CPU ratio | submission as SQL alone/s (ratio) | its machine CPU ms (PostgreSQL) | WAL bytes per submission / per transfer / per SQL submission | autovacuum during the service's / pgbench's measurement |");
        report.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Round} | {r.Clients} | {r.Http.RequestsPerSecond:N0} | {r.Http.P50Ms:F2} / {r.Http.P99Ms:F2} | {r.Http.Non2xx} | {r.Submitted:N0} | {r.Commits} | {r.CpuMsPerRequest:F2} ({r.JitMsPerRequest:F2}) | " +
                $"{r.Raw.PerSecond:N0} | {r.Raw.P50Ms:F2} / {r.Raw.P99Ms:F2} | {r.Ratio:F2} | " +
                $"{r.PerSubmission.Machine:F2} ({r.PerSubmission.Cluster:F2}) | {r.PerTransfer.Machine:F2} ({r.PerTransfer.Cluster:F2}) | {r.CpuRatio:F2} | " +
                $"{r.Sql.PerSecond:N0} ({r.SqlRatio:F2}) | {r.PerSqlSubmission.Machine:F2} ({r.PerSqlSubmission.Cluster:F2}) | " +
                $"{r.WalBytes.Submission:N0} / {r.WalBytes.Transfer:N0} / {r.WalBytes.SqlSubmission:N0} | {r.HttpAutovacuum} / {r.RawAutovacuum} |"));
        if (budgetTable is not null)
        {
            report.WriteLine();
            report.WriteLine("Where one client's submission spends its time (tcpdump on the loopback, 4 s after 12 s at one client):");
            report.WriteLine();
            report.Write(budgetTable);
        }
        return 0;
    }

    /// <summary>
    /// Statements PostgreSQL ran per submission (BEGIN and COMMIT included), from its log with
    /// log_min_duration_statement = 0 while the drafts are submitted one at a time, nothing else running; and, apart, those
    /// the service's background work ran in the same window: the audit sealer (Audit.Sealer, whose backend touches seal_queue
    /// or chain_seal) and the export and checks runners' polls (Exports.ExportRunner, export_job; Audit.LedgerCheckRunner,
    /// ledger_check_run). The sealer seals a submission's audit
    /// event and journal entry a moment after it, in batches on a timer, so how many of their statements fall in the window
    /// depends on where the timers' ticks land; counted with the submissions, they made the same code read 16.0 to 19.9
    /// (docs/performance.md, section 34).
    /// </summary>
    private static async Task<string> StatementsPerSubmissionAsync(BenchCluster db, ServiceHost service, List<DraftClaim> drafts,
        Func<long, string> token, int? logSlowMs)
    {
        var log = db.Postgres.LogFile;
        await db.LogSlowStatementsAsync(0);
        var from = new FileInfo(log).Length;
        foreach (var d in drafts)
        {
            using var http = service.Client(token(d.SchoolId));
            using var answer = await http.PostAsync($"/api/v1/claims/{d.Id}/submit",
                new StringContent("{\"declaration\": true}", System.Text.Encoding.UTF8, "application/json"));
            if (!answer.IsSuccessStatusCode) throw new InvalidOperationException($"counted submission answered {(int)answer.StatusCode}");
        }
        await Task.Delay(500); // the logger writes asynchronously
        var to = new FileInfo(log).Length;
        await db.Exec(logSlowMs is { } ms ? $"ALTER SYSTEM SET log_min_duration_statement = {ms}" : "ALTER SYSTEM RESET log_min_duration_statement");
        await db.Exec("SELECT pg_reload_conf()");
        await using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        var buffer = new byte[to - from];
        await stream.ReadExactlyAsync(buffer);
        var lines = System.Text.Encoding.UTF8.GetString(buffer).Split('\n');
        // the simple protocol logs "statement: …", the extended one "execute <name>: …" (parse and bind are not statements)
        bool Ran(string l) => l.Contains("duration: ") && (l.Contains(" statement: ") || l.Contains(" execute "));
        // the bench's own connection (SET, pg_reload_conf, the ALTER SYSTEM) is not the service's
        var ran = lines.Where(Ran).Where(l => !l.Contains("pg_reload_conf") && !l.Contains("ALTER SYSTEM")).ToList();
        // each line names its backend, "… UTC [1234] LOG: …" (PostgreSQL 15's default log_line_prefix, "%m [%p] ")
        static string Backend(string l) => l.IndexOf(" [", StringComparison.Ordinal) is var at and >= 0 ? l[at..(l.IndexOf(']', at) + 1)] : "";
        var background = ran.Where(l => l.Contains("seal_queue") || l.Contains("chain_seal") || l.Contains("export_job") || l.Contains("ledger_check_run"))
            .Select(Backend).ToHashSet();
        var theirs = ran.Where(l => background.Contains(Backend(l))).ToList();
        var submissions = ran.Where(l => !background.Contains(Backend(l))).ToList();
        static int Selects(List<string> some) => some.Count(l => l.Contains("SELECT", StringComparison.OrdinalIgnoreCase));
        double Each(int n) => n / (double)drafts.Count;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Each(submissions.Count):F1} ({Each(Selects(submissions)):F1} of them containing a SELECT); and the background work's (sealing, the export and checks runners' polls) in the same window {Each(theirs.Count):F1} more");
    }

    /// <summary>
    /// user0 for bench/submission.pgbench.sql: the school in position s (by id) has its business manager in user user0 + s
    /// (BenchUsers writes them in school order); refused if that does not hold.
    /// </summary>
    internal static async Task<long> SchoolManagersFromAsync(BenchCluster db, long programmeId)
    {
        var user0 = (long)(await db.Scalar("SELECT min(id) - 1 FROM app_user WHERE programme_id = $1 AND role = 'school_business_manager'", programmeId))!;
        var misplaced = (long)(await db.Scalar("""
            SELECT count(*)
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM school WHERE programme_id = $1) s
              LEFT JOIN app_user u ON u.id = $2 + s.rn AND u.school_id = s.id AND u.role = 'school_business_manager'
             WHERE u.id IS NULL
            """, programmeId, user0))!;
        if (misplaced != 0) throw new InvalidOperationException($"{misplaced} schools' business managers are not where the benchmark expects them");
        return user0;
    }

    /// <summary>
    /// pgbench's submissions as SQL alone did what the service's do: as many of the drafts as pgbench counted, submitted
    /// by their school's business manager, each holding on its own school's available account, with one history row
    /// naming the entry and one audit event (the amount each holds is checked with every submitted claim's at the end).
    /// </summary>
    internal static async Task ProveSqlSubmissionsAsync(BenchCluster db, List<DraftClaim> drafts, long expected)
    {
        var wrong = (long)(await db.Scalar("""
            SELECT count(*) FILTER (WHERE c.submitted_by IS DISTINCT FROM c.created_by
                                      OR a.school_id IS DISTINCT FROM c.school_id OR a.code NOT LIKE '%:available'
                                      OR (SELECT count(*) FROM claim_transition h WHERE h.claim_id = c.id AND h.entry_id = t.entry_id) <> 1
                                      OR (SELECT count(*) FROM audit_event e WHERE e.record_type = 'claim' AND e.record_id = c.id) <> 1)
                   + abs(count(*) - $3)
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              LEFT JOIN transfer t ON t.id = l.money_hold_id LEFT JOIN account a ON a.id = t.debit_account_id
             WHERE c.id BETWEEN $1 AND $2 AND c.state = 'submitted'
            """, drafts[0].Id, drafts[^1].Id, expected))!;
        if (wrong != 0) throw new InvalidOperationException($"pgbench's submissions as SQL alone: {wrong} not as the service makes them");
    }

    public static Dictionary<string, object> Defines(BenchProgramme p) => new()
    {
        ["programme"] = p.ProgrammeId, ["valuedate"] = p.ValueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["schools"] = p.Schools, ["available0"] = p.Available0, ["payable0"] = p.Payable0,
    };
}
