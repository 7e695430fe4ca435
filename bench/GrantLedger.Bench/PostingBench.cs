using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Ledger;

namespace GrantLedger.Bench;

/// <summary>
/// Transfers per second through the service's posting path (<see cref="Journal.PostAsync"/>, in
/// process, one entry of one transfer per commit) beside pgbench running the same statement as raw
/// SQL, on the same cluster, with the same number of clients, in the same run.
/// </summary>
public static class PostingBench
{
    public sealed record Options(int Seconds, int[] Clients, int Rounds, int Schools, int History, string Script, string? Cluster = null);

    public sealed record Result(string Side, int Clients, int Round, long Transfers, double Seconds, double P50Ms, double P99Ms)
    {
        public double PerSecond => Transfers / Seconds;
    }

    public static async Task<int> RunAsync(Options o, TextWriter report)
    {
        await using var db = await BenchCluster.StartAsync(o.Cluster);
        var seedClock = Stopwatch.StartNew();
        var p = await BenchProgramme.SeedAsync(db, o.Schools, o.History);
        report.WriteLine($"cluster: {await db.SettingsAsync()}");
        report.WriteLine($"seeded {o.Schools:N0} schools, {o.History:N0} history entries in {seedClock.Elapsed.TotalSeconds:F1} s; " +
                         $"{o.Seconds} s per measurement, {o.Rounds} round(s)");

        report.WriteLine(await WarmUpAsync(db, p, Math.Max(o.Clients.Max(), 1)));

        var results = new List<Result>();
        for (var round = 1; round <= o.Rounds; round++)
            foreach (var clients in o.Clients)
            {
                await SettleAsync(db);
                var service = await ServiceAsync(db, p, clients, o.Seconds, round);
                await SettleAsync(db);
                var raw = await PgbenchAsync(db, p, clients, o.Seconds, round, o.Script);
                results.Add(service);
                results.Add(raw);
                report.WriteLine($"round {round}, {clients} client(s): service {service.PerSecond:N0}/s (p99 {service.P99Ms:F2} ms), " +
                                 $"pgbench {raw.PerSecond:N0}/s (p99 {raw.P99Ms:F2} ms), ratio {service.PerSecond / raw.PerSecond:F2}");
            }

        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.Accounts));
        report.WriteLine();
        report.WriteLine("| round | clients | service transfers/s | service p50 / p99 ms | pgbench (raw SQL) transfers/s | pgbench p50 / p99 ms | ratio |");
        report.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var g in results.GroupBy(r => (r.Round, r.Clients)))
        {
            var s = g.Single(r => r.Side == "service");
            var r = g.Single(r => r.Side == "pgbench");
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {g.Key.Round} | {g.Key.Clients} | {s.PerSecond:N0} | {s.P50Ms:F2} / {s.P99Ms:F2} | {r.PerSecond:N0} | {r.P50Ms:F2} / {r.P99Ms:F2} | {s.PerSecond / r.PerSecond:F2} |"));
        }
        return 0;
    }

    /// <summary>
    /// Posts in 3-second slices until tiered compilation takes under 5 % of the process's CPU in a slice (at most eight), so
    /// that the first round does not measure the JIT, then <c>ANALYZE</c>, as autovacuum would by then (http-posting's way,
    /// docs/performance.md sections 1 and 7).
    /// </summary>
    private static async Task<string> WarmUpAsync(BenchCluster db, BenchProgramme p, int clients)
    {
        var slices = new List<string>();
        using var self = Process.GetCurrentProcess();
        for (var slice = 0; slice < 8; slice++)
        {
            self.Refresh();
            var (cpu, jit) = (self.TotalProcessorTime, System.Runtime.JitInfo.GetCompilationTime());
            var posted = await ServiceAsync(db, p, clients, 3, round: -slice);
            self.Refresh();
            var (cpuIn, jitIn) = (self.TotalProcessorTime - cpu, System.Runtime.JitInfo.GetCompilationTime() - jit);
            slices.Add(string.Create(CultureInfo.InvariantCulture, $"{posted.PerSecond:N0}/s ({jitIn.TotalMilliseconds:N0} of {cpuIn.TotalMilliseconds:N0} ms CPU JIT)"));
            if (jitIn < cpuIn * 0.05) break;
        }
        await db.Exec("ANALYZE");
        return $"warm-up: {slices.Count} x 3 s at {clients} client(s): {string.Join(" → ", slices)}";
    }

    /// <summary>
    /// Each measurement starts from the same state: <c>VACUUM (ANALYZE)</c> and a checkpoint, so that neither side measures
    /// autovacuum working through what the other left, or a checkpoint its WAL brought on (as http-posting and hot do,
    /// docs/performance.md section 12; nothing seals here, so nothing waits for the sealer).
    /// </summary>
    private static async Task SettleAsync(BenchCluster db)
    {
        await db.Exec("VACUUM (ANALYZE)");
        await db.Exec("CHECKPOINT");
    }

    private static async Task<Result> ServiceAsync(BenchCluster db, BenchProgramme p, int clients, int seconds, int round)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var until = 0L;
        var writers = Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var latencies = new List<double>(1 << 16);
            var random = new Random(round * 100 + w);
            await using var conn = await db.DataSource.OpenConnectionAsync();
            await start.Task;
            while (true)
            {
                var s = random.Next(1, p.Schools + 1);
                var draft = new EntryDraft(p.ProgrammeId, p.ValueDate, "bench transfer", null, CauseType.Claim, null,
                    [new TransferDraft(Unit.Gbp, p.Available0 + s, p.Payable0 + s, random.Next(1, 5001))]);
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= Volatile.Read(ref until)) break;
                await Journal.PostAsync(conn, null, draft);
                var t1 = Stopwatch.GetTimestamp();
                if (t1 <= Volatile.Read(ref until)) latencies.Add((t1 - t0) * 1000.0 / Stopwatch.Frequency);
            }
            return latencies;
        })).ToList();
        await Task.Delay(300); // let every writer open its connection
        var began = Stopwatch.GetTimestamp();
        Volatile.Write(ref until, began + seconds * Stopwatch.Frequency);
        start.SetResult();
        var all = (await Task.WhenAll(writers)).SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Result("service", clients, round, all.Length, seconds, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static async Task<Result> PgbenchAsync(BenchCluster db, BenchProgramme p, int clients, int seconds, int round, string script)
    {
        var run = await Pgbench.RunAsync(db, script, clients, seconds, new Dictionary<string, object>
        {
            ["programme"] = p.ProgrammeId, ["valuedate"] = p.ValueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["schools"] = p.Schools, ["available0"] = p.Available0, ["payable0"] = p.Payable0,
        });
        return new Result("pgbench", clients, round, run.Transactions, seconds, run.P50Ms, run.P99Ms);
    }

    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
