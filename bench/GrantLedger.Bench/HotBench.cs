using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Audit;

namespace GrantLedger.Bench;

/// <summary>
/// Many claims at once against ONE school's ONE budget category: concurrent submissions through
/// HTTP (wrk, bench/submit.lua) to the service running as a separate Release process, every claim
/// holding money from the same limited 'available' account, whose budget is set to run out about
/// half way through the measurement. Beside it, pgbench holds money from another single limited
/// account with the same statement (bench/hold.pgbench.sql), same client count, same cluster, same
/// run. Afterwards it proves there was no overdraft: the account is within its limit, its holds are
/// exactly the accepted claims' amounts, and every refusal asked for more than was left at the end.
/// Third, pgbench sends a submission's own statements (bench/submission.pgbench.sql) against a third
/// school's account, same client count: what PostgreSQL allows a submission on one account without
/// the service (docs/performance.md, section 14).
/// </summary>
public static class HotBench
{
    public sealed record Options(int Seconds, int[] Clients, int Rounds, int History, string? Cluster, int? LogSlowMs);

    private sealed record Row(int Round, int Clients, Wrk.Run Http, long Budget, long Accepted, long Used, double AcceptedPerSecond,
        double WindowSeconds, long Fitted, double FittedPerSecond, double FittedWindowSeconds, long Refused, long Other, string Commits, Pgbench.Run Raw,
        string HttpAutovacuum, string RawAutovacuum, CpuMeter.Reading RawCpu, Pgbench.Run Sql, CpuMeter.Reading SqlCpu)
    {
        public double Ratio => FittedPerSecond / Raw.PerSecond;
        public double SqlRatio => Sql.PerSecond / Raw.PerSecond;
        public (double Machine, double Cluster) PerHold => RawCpu.PerOperation(Raw.Transactions);
        public (double Machine, double Cluster) PerSqlSubmission => SqlCpu.PerOperation(Sql.Transactions);
    }

    private const int Schools = 130;

    public static async Task<int> RunAsync(Options o, TextWriter report)
    {
        Wrk.Require();
        var repo = Args.RepositoryRoot();
        await using var db = await BenchCluster.StartAsync(o.Cluster);
        if (o.LogSlowMs is { } ms) await db.LogSlowStatementsAsync(ms);
        var seed = Stopwatch.StartNew();
        var p = await BenchProgramme.SeedAsync(db, Schools, o.History);
        await BenchClaims.EnsurePeriodsAsync(db, p.ProgrammeId);
        var tokens = await BenchUsers.SchoolManagersAsync(db, p.ProgrammeId);
        var schoolIds = tokens.Keys.Order().ToArray();
        var perRun = Math.Max(20_000, o.Seconds * 1_500);
        // school 1: warm-up and the rate probe that sizes the budgets; school 2: refusals' warm-up; schools 3, 4, …: one hot school per
        // measurement; schools 43, 44, …: pgbench's submissions as SQL alone, one school per measurement; schools 130, 129, …: pgbench's
        // one account per measurement
        var warmUp = await BenchClaims.DraftsAsync(db, p.ProgrammeId, [schoolIds[0]], 1 + BenchClaims.WarmUpSlices * BenchClaims.WarmUpSlice);
        var probe = await BenchClaims.DraftsAsync(db, p.ProgrammeId, [schoolIds[0]], 5_000);
        var refusing = await BenchClaims.DraftsAsync(db, p.ProgrammeId, [schoolIds[1]], BenchClaims.WarmUpSlices * BenchClaims.WarmUpSlice);
        var runs = new List<(List<DraftClaim> Http, List<DraftClaim> Sql)>();
        if (o.Rounds * o.Clients.Length > MaxMeasurements) throw new ArgumentException($"at most {MaxMeasurements} measurements (rounds x client counts)");
        for (var i = 0; i < o.Rounds * o.Clients.Length; i++)
            runs.Add((await BenchClaims.DraftsAsync(db, p.ProgrammeId, [schoolIds[2 + i]], perRun),
                      await BenchClaims.DraftsAsync(db, p.ProgrammeId, [schoolIds[2 + MaxMeasurements + i]], Math.Max(20_000, o.Seconds * 2_500))));
        var user0 = await HttpPostingBench.SchoolManagersFromAsync(db, p.ProgrammeId);
        await db.Exec("ANALYZE");
        report.WriteLine($"cluster: {await db.SettingsAsync()}");
        report.WriteLine($"seeded {Schools} schools, {o.History:N0} history entries, {warmUp.Count + probe.Count + refusing.Count + runs.Sum(r => r.Http.Count + r.Sql.Count):N0} draft claims (£1.00–£500.00 each) " +
                         $"in {seed.Elapsed.TotalSeconds:F1} s; {o.Seconds} s per measurement, {o.Rounds} round(s)");

        var data = Path.Combine(db.Root, "wrk");
        var script = Path.Combine(repo, "bench", "submit.lua");
        await using var service = await ServiceHost.StartAsync(db);
        report.WriteLine($"service: {ServiceHost.WebDll()} on {service.BaseAddress} (Release, Kestrel)");

        await service.FirstSubmitAsync(tokens[warmUp[0].SchoolId], warmUp[0].Id);
        warmUp.RemoveAt(0);
        report.WriteLine(await ServiceHost.SettleAsync(db));
        // Warm-up on one school until tiered compilation has settled (as http-posting's), then a probe of the
        // rate at which one school's claims are accepted, to size the budgets.
        report.WriteLine(await BenchClaims.WarmUpAsync(db, service, script, o.Clients.Max(), warmUp, s => tokens[s], data));
        var probed = await Wrk.RunAsync(service.BaseAddress, script, o.Clients.Max(), 5,
            BenchClaims.WriteWrkData(data, "probe.txt", probe, s => tokens[s]));
        var probeRate = probed.Status(200) / probed.Seconds;
        report.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"probe on the warm-up's school: {probeRate:N0} accepted submissions/s (answers {Answers(probed)})"));
        if (probed.Status(200) == 0) throw new InvalidOperationException($"the probe had no claim accepted:\n{probed.Output}\n{service.Log}");

        // Refusals: about half of each measurement's answers are 422s (its budget runs out), a path neither the warm-up
        // nor the probe takes. Warmed the same way on school 2, whose account is spent, so that round 1 does not pay for
        // compiling it, as the rounds after it never did (docs/performance.md, section 10).
        await SpendAllButAsync(db, p, p.Available0 + Array.IndexOf(schoolIds, refusing[0].SchoolId) + 1, 0);
        report.WriteLine("refusals, " + await BenchClaims.WarmUpAsync(db, service, script, o.Clients.Max(), refusing, s => tokens[s], data));

        var rows = new List<Row>();
        var next = 0;
        for (var round = 1; round <= o.Rounds; round++)
            foreach (var clients in o.Clients)
            {
                var (drafts, sqlDrafts) = runs[next++];
                var school = drafts[0].SchoolId;
                var account = p.Available0 + Array.IndexOf(schoolIds, school) + 1;
                // The budget: what about half the measurement would accept at the probe's rate; the rest of the
                // school's allocation was spent before (posted to payable), so the account holds exactly that.
                var budget = Math.Max(100_000, (long)(probeRate * o.Seconds * 0.5 * drafts.Average(d => d.AmountPence)));
                await SpendAllButAsync(db, p, account, budget);
                var file = BenchClaims.WriteWrkData(data, $"hot-{round}-{clients}.txt", drafts, s => tokens[s]);
                // each measurement starts from the same state: nothing left to seal, vacuumed, checkpointed (section 12)
                var settledForService = await ServiceHost.SettleAsync(db, vacuum: true);
                var (cpuBefore, jitBefore) = (service.CpuTime(), service.TieredCompilationThreads());
                var (http, httpAutovacuum) = await db.AutovacuumDuringAsync(() => Wrk.RunAsync(service.BaseAddress, script, clients, o.Seconds, file));
                var (cpu, jit) = (service.CpuTime() - cpuBefore, ServiceHost.Between(jitBefore, service.TieredCompilationThreads()));
                var (accepted, used, first, last, fitted, fittedFirst, fittedLast) =
                    await AcceptedAsync(db, school, drafts[0].Id, drafts[^1].Id, budget - drafts.Max(d => d.AmountPence));
                await ProveNoOverdraftAsync(db, account, budget, used);
                var commits = await BenchClaims.CommitsAsync(db, drafts[0].Id, drafts[^1].Id);
                var window = (last - first).TotalSeconds;
                // While every claim fitted: the claims accepted while what was left after them still covered the largest
                // draft, so that no submission could yet be refused. After that, most submissions are refused (they
                // take the account's lock as a hold does) while the small ones still fit, and accepted/s falls for
                // want of budget, not of speed; pgbench's ceiling has no such tail (its account never runs short).
                var fittedWindow = (fittedLast - fittedFirst).TotalSeconds;
                var fittedRate = fitted > 1 && fittedWindow > 0 ? (fitted - 1) / fittedWindow : double.NaN;
                var settledForPgbench = await ServiceHost.SettleAsync(db, vacuum: true);
                var ((raw, rawCpu), rawAutovacuum) = await db.AutovacuumDuringAsync(() => CpuMeter.MeasureAsync(db.Postgres.DataDirectory,
                    () => Pgbench.RunAsync(db, Path.Combine(repo, "bench", "hold.pgbench.sql"), clients, o.Seconds, new Dictionary<string, object>
                {
                    ["programme"] = p.ProgrammeId, ["valuedate"] = p.ValueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    // a school of its own per measurement, counted from the last: £10m lasts a measurement at any rate seen here
                    ["debit"] = p.Available0 + Schools - (next - 1), ["credit"] = p.Payable0 + Schools - (next - 1),
                })));
                // A submission's own statements on one school's account: the script spreads its drafts over `schools` schools,
                // school s (from 1) with accounts available0 + s and payable0 + s and business manager user0 + s; with one school
                // that is the one at `position` (from 1) when each base is moved by position - 1.
                await ServiceHost.SettleAsync(db, vacuum: true);
                var position = Array.IndexOf(schoolIds, sqlDrafts[0].SchoolId) + 1;
                var (sql, sqlCpu) = await CpuMeter.MeasureAsync(db.Postgres.DataDirectory,
                    () => Pgbench.RunAsync(db, Path.Combine(repo, "bench", "submission.pgbench.sql"), clients, o.Seconds,
                        new Dictionary<string, object>(HttpPostingBench.Defines(p))
                        {
                            ["schools"] = 1, ["available0"] = p.Available0 + position - 1, ["payable0"] = p.Payable0 + position - 1,
                            ["user0"] = user0 + position - 1, ["first"] = sqlDrafts[0].Id, ["clients"] = clients, ["n"] = 0,
                        }));
                await HttpPostingBench.ProveSqlSubmissionsAsync(db, sqlDrafts, sql.Transactions);
                var acceptedRate = window > 0 ? (accepted - 1) / window : double.NaN;
                var refused = http.Status(422);
                var row = new Row(round, clients, http, budget, accepted, used, acceptedRate, window, fitted, fittedRate, fittedWindow, refused,
                    http.Statuses.Where(s => s.Key is not (200 or 422)).Sum(s => s.Value), commits, raw, httpAutovacuum, rawAutovacuum, rawCpu, sql, sqlCpu);
                rows.Add(row);
                report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, {clients} client(s): budget £{budget / 100.0:N2} used £{used / 100.0:N2} by {accepted:N0} claims in {window:F1} s " +
                    $"({acceptedRate:N0}/s while it lasted; {fitted:N0} in {fittedWindow:F1} s, {fittedRate:N0}/s, while every claim fitted), " +
                    $"{refused:N0} refused (422), other answers {row.Other}; all answers {http.RequestsPerSecond:N0}/s; accepted claims per commit {commits}; " +
                    $"service CPU {cpu.TotalMilliseconds / Math.Max(1, http.Requests):F2} ms per request ({jit.TotalMilliseconds / Math.Max(1, http.Requests):F2} of it tiered compilation); " +
                    $"pgbench {raw.PerSecond:N0}/s on one account; ratio {row.Ratio:F2} (while it lasted {acceptedRate / raw.PerSecond:F2}); " +
                    $"the submission as SQL alone on one account {sql.PerSecond:N0}/s (ratio {row.SqlRatio:F2}); CPU per pgbench hold {row.PerHold.Machine:F2} ms " +
                    $"({row.PerHold.Cluster:F2} of it PostgreSQL's), per submission as SQL {row.PerSqlSubmission.Machine:F2} ms ({row.PerSqlSubmission.Cluster:F2}); " +
                    $"autovacuum during the service's measurement: {httpAutovacuum}; during pgbench's: {rawAutovacuum}; " +
                    $"before the service's, {settledForService}; before pgbench's, {settledForPgbench}"));
            }

        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.AccountsAndSubmittedClaims));
        report.WriteLine();
        report.WriteLine("| round | clients | budget £ | accepted claims | used £ | left £ | accepted/s while every claim fitted (claims, window s) | accepted/s while budget lasted (window s) | refused 422 | other non-2xx | all answers/s | accepted claims per commit | p50 / p99 ms | pgbench one-account holds/s | pgbench p50 / p99 ms | ratio (target ≥ 0.6) | ratio while budget lasted | overdrafts | the submission as SQL alone on one account/s (ratio) | machine CPU ms per hold / per submission as SQL (PostgreSQL's) | autovacuum during the service's / pgbench's measurement |");
        report.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Round} | {r.Clients} | {r.Budget / 100.0:N2} | {r.Accepted:N0} | {r.Used / 100.0:N2} | {(r.Budget - r.Used) / 100.0:N2} | " +
                $"{r.FittedPerSecond:N0} ({r.Fitted:N0}, {r.FittedWindowSeconds:F1}) | {r.AcceptedPerSecond:N0} ({r.WindowSeconds:F1}) | {r.Refused:N0} | {r.Other} | " +
                $"{r.Http.RequestsPerSecond:N0} | {r.Commits} | {r.Http.P50Ms:F2} / {r.Http.P99Ms:F2} | " +
                $"{r.Raw.PerSecond:N0} | {r.Raw.P50Ms:F2} / {r.Raw.P99Ms:F2} | {r.Ratio:F2} | {r.AcceptedPerSecond / r.Raw.PerSecond:F2} | 0 | " +
                $"{r.Sql.PerSecond:N0} ({r.SqlRatio:F2}) | {r.PerHold.Machine:F2} ({r.PerHold.Cluster:F2}) / {r.PerSqlSubmission.Machine:F2} ({r.PerSqlSubmission.Cluster:F2}) | " +
                $"{r.HttpAutovacuum} / {r.RawAutovacuum} |"));
        return 0;
    }

    /// <summary>Measurements (rounds x client counts) at most: each takes a school for the service and one for the submissions as SQL.</summary>
    private const int MaxMeasurements = 40;

    public static string Answers(Wrk.Run run) => string.Join(", ", run.Statuses.OrderBy(x => x.Key).Select(x => $"{x.Key}: {x.Value:N0}"));

    /// <summary>Posts all but <paramref name="budget"/> of the account's allocation to its payable account, as if spent before.</summary>
    private static async Task SpendAllButAsync(BenchCluster db, BenchProgramme p, long account, long budget)
    {
        var available = (long)(await db.Scalar("SELECT credits_posted - debits_posted - debits_pending FROM account WHERE id = $1", account))!;
        if (available < budget) throw new InvalidOperationException($"account {account} has {available}p, less than the budget {budget}p");
        await db.Exec("""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ($1, '2026-10-01', 'Spent before the benchmark', 'claim') RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', $2, $3, $4, 'posted', e.value_date, e.recorded_at FROM e
            """, p.ProgrammeId, account, account - p.Available0 + p.Payable0, available - budget);
    }

    /// <summary>What a measurement's school had accepted: all its claims, and those accepted while every claim fitted.</summary>
    private sealed record Acceptance(long Accepted, long Used, DateTimeOffset First, DateTimeOffset Last,
        long Fitted, DateTimeOffset FittedFirst, DateTimeOffset FittedLast);

    /// <summary>
    /// The school's accepted claims among the drafts <paramref name="firstId"/>..<paramref name="lastId"/>: how many,
    /// what they used, the first's and the last's time; and the same for those accepted, in the order they were
    /// submitted, while what was left after them still covered the largest draft (used at most <paramref name="usedAtMost"/>).
    /// </summary>
    private static async Task<Acceptance> AcceptedAsync(BenchCluster db, long school, long firstId, long lastId, long usedAtMost)
    {
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT count(*), coalesce(sum(amount), 0)::bigint, min(submitted_at), max(submitted_at),
                   count(*) FILTER (WHERE used <= $4), min(submitted_at) FILTER (WHERE used <= $4), max(submitted_at) FILTER (WHERE used <= $4)
              FROM (SELECT c.submitted_at, l.amount_pence AS amount, sum(l.amount_pence) OVER (ORDER BY c.submitted_at, c.id) AS used
                      FROM claim c JOIN claim_line l ON l.claim_id = c.id
                     WHERE c.school_id = $1 AND c.id BETWEEN $2 AND $3 AND c.state = 'submitted') a
            """);
        cmd.Parameters.Add(new() { Value = school });
        cmd.Parameters.Add(new() { Value = firstId });
        cmd.Parameters.Add(new() { Value = lastId });
        cmd.Parameters.Add(new() { Value = usedAtMost });
        await using var rows = await cmd.ExecuteReaderAsync();
        await rows.ReadAsync();
        if (rows.GetInt64(0) == 0) throw new InvalidOperationException("no claim was accepted");
        DateTimeOffset At(int i) => rows.IsDBNull(i) ? default : rows.GetFieldValue<DateTimeOffset>(i);
        return new Acceptance(rows.GetInt64(0), rows.GetInt64(1), At(2), At(3), rows.GetInt64(4), At(5), At(6));
    }

    /// <summary>
    /// No overdraft: the account's debits (posted and held) stay within its credits; what it holds is
    /// exactly the accepted claims' amounts; and budget = used + left, to the penny.
    /// </summary>
    private static async Task ProveNoOverdraftAsync(BenchCluster db, long account, long budget, long used)
    {
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT a.credits_posted - a.debits_posted - a.debits_pending,
                   (SELECT coalesce(sum(t.amount), 0)::bigint FROM transfer t WHERE t.debit_account_id = a.id AND t.kind = 'pending')
              FROM account a WHERE a.id = $1
            """);
        cmd.Parameters.Add(new() { Value = account });
        await using var rows = await cmd.ExecuteReaderAsync();
        await rows.ReadAsync();
        var (left, held) = (rows.GetInt64(0), rows.GetInt64(1));
        if (left < 0) throw new InvalidOperationException($"OVERDRAFT: account {account} is {-left}p past its limit");
        if (held != used) throw new InvalidOperationException($"account {account} holds {held}p but the accepted claims come to {used}p");
        if (used > budget || left != budget - used) throw new InvalidOperationException($"budget {budget}p, used {used}p, left {left}p do not tie");
    }
}
