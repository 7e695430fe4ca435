using System.Data;
using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Bench;

/// <summary>
/// <c>exports --cluster DIR [--as-of DATE] [--kinds workbook,journal-csv,csv,hledger,beancount]</c>: the national
/// programme's exports through the service's own code (<see cref="Exporter"/>, the code behind the CLI's
/// <c>export …</c> and the background jobs), each in a fresh child process so that its peak memory
/// (VmHWM) is its own and not the sum of those before it. The cluster must already be seeded
/// (<c>seed-national --cluster DIR</c>); it is started if stopped and never reseeded.
/// Targets: the reconciliation workbook in under 30 s and 200 MB; the journal as CSV at more than
/// 200,000 lines/s with memory that does not grow with the rows.
/// </summary>
public static class ExportsBench
{
    private const string ProgrammeCode = "pins";
    private static readonly string[] AllKinds = ["workbook", "journal-csv", "csv", "hledger", "beancount"];

    public static async Task<int> RunAsync(string cluster, DateOnly asOf, string[] kinds, TextWriter report)
    {
        long programmeId, transfers;
        await using (var db = await BenchCluster.StartAsync(cluster))
        {
            if (await db.Scalar("SELECT id FROM programme WHERE code = $1", ProgrammeCode) is not long id)
            {
                report.WriteLine($"no programme '{ProgrammeCode}' in {cluster}: seed it first (seed-national --cluster {cluster})");
                return 2;
            }
            programmeId = id;
            transfers = (long)(await db.Scalar("SELECT count(*) FROM transfer WHERE programme_id = $1 AND value_date <= $2", id, asOf))!;
            report.WriteLine($"cluster: {await db.SettingsAsync()}, in {Path.GetFullPath(cluster)}");
            report.WriteLine($"programme {id}: {await db.Scalar("SELECT count(*) FROM school WHERE programme_id = $1", id):N0} schools, " +
                             $"{await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", id):N0} accounts, " +
                             $"{await db.Scalar("SELECT count(*) FROM claim WHERE programme_id = $1", id):N0} claims, " +
                             $"{transfers:N0} transfers (ledger lines) dated on or before {asOf:yyyy-MM-dd}");
        }
        report.WriteLine($"load average before: {LoadAverage()}");
        report.WriteLine();
        report.WriteLine("| export | rows | wall (s) | rows/s | peak memory (MB) | CPU (s) | output (MB) | load average (1 min) |");
        report.WriteLine("|---|---|---|---|---|---|---|---|");
        var memoryLines = new List<string>();
        foreach (var kind in kinds)
        {
            var result = await RunChildAsync(cluster, programmeId, kind, asOf);
            if (result is null)
            {
                report.WriteLine($"| {kind} | failed (see above) | | | | | | |");
                continue;
            }
            report.WriteLine($"| {kind} | {result["rows"]} | {result["wall"]} | {result["rate"]} | {result["peak"]} | {result["cpu"]} | " +
                             $"{result["output"]} | {LoadAverage().Split(' ')[0]} |");
            memoryLines.Add($"{kind}: {result["rss"]}");
        }
        report.WriteLine();
        report.WriteLine("resident memory while each export ran (rows written → VmRSS MB):");
        foreach (var line in memoryLines) report.WriteLine("  " + line);
        report.WriteLine($"load average after: {LoadAverage()}");
        report.WriteLine("targets: workbook < 30 s and < 200 MB; journal CSV > 200,000 lines/s with memory flat as rows grow");
        return 0;
    }

    /// <summary>Runs one export in a child process (this program, "export-one …") and reads its RESULT line.</summary>
    private static async Task<Dictionary<string, string>?> RunChildAsync(string cluster, long programmeId, string kind, DateOnly asOf)
    {
        var self = Environment.ProcessPath!;
        var dll = typeof(ExportsBench).Assembly.Location;
        string[] args = ["export-one", "--cluster", cluster, "--programme", programmeId.ToString(CultureInfo.InvariantCulture),
                         "--kind", kind, "--as-of", asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)];
        var psi = Path.GetFileNameWithoutExtension(self) == "dotnet" ? new ProcessStartInfo(self, [dll, .. args]) : new ProcessStartInfo(self, args);
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        psi.Environment["DOTNET_gcServer"] = "0"; // as the service runs (ServiceProcess does the same)
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the export child");
        Dictionary<string, string>? result = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                result = line[7..].Split('\t').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            else Console.WriteLine("  " + line);
        }
        await child.WaitForExitAsync();
        return child.ExitCode == 0 ? result : null;
    }

    /// <summary>
    /// The child: one export through the service's code, timed, with its resident memory sampled
    /// every 250 ms against the rows written so far; prints one RESULT line.
    /// </summary>
    public static async Task<int> RunOneAsync(string cluster, long programmeId, string kind, DateOnly asOf)
    {
        if (!AllKinds.Contains(kind)) throw new ArgumentException($"--kind must be one of {string.Join(", ", AllKinds)}");
        var pg = await LocalPostgres.StartAsync(cluster);
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(pg.ConnectionString(BenchCluster.Database)) { CommandTimeout = 0 }
            .ConnectionString;
        await using var dataSource = DatabaseEndpoint.CreateDataSource(connectionString);
        var options = new DbContextOptionsBuilder<GrantLedgerDb>().UseNpgsql(dataSource).Options;
        var auditor = new CurrentUser(0, "bench-auditor", Roles.Auditor, null, null, null); // as the CLI's export runs
        var folder = Path.Combine(Path.GetTempPath(), $"grantledger-bench-export-{Environment.ProcessId}");
        var progress = new ExportProgress();
        var samples = new List<(long Rows, double Mb)>();
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                samples.Add((progress.Done, Proc("VmRSS")));
                try { await Task.Delay(250, stopSampling.Token); } catch (OperationCanceledException) { }
            }
        });
        // Warm, as in a running service: EF Core's model built, a pooled connection open, the
        // programme read once (the export's first query). The export itself is timed from cold code.
        await using (var warm = new GrantLedgerDb(options))
            await warm.Programmes.AsNoTracking().SingleAsync(p => p.Id == programmeId);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long rows;
        try
        {
            await using var db = new GrantLedgerDb(options);
            if (kind == "journal-csv") rows = await JournalCsvAsync(db, programmeId, asOf, folder, progress, clock);
            else
            {
                var exportKind = kind switch { "workbook" => ExportKind.Workbook, "csv" => ExportKind.Csv, "beancount" => ExportKind.Beancount, _ => ExportKind.Hledger };
                await Exporter.WriteAsync(db, auditor, programmeId, exportKind, asOf, folder, progress);
                rows = progress.Done;
            }
            clock.Stop();
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampler;
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var output = Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);
        Directory.Delete(folder, recursive: true);
        var seconds = clock.Elapsed.TotalSeconds;
        // ten evenly spaced samples (by time) are enough to see whether memory follows the rows
        var shown = Enumerable.Range(0, 10).Select(i => samples[(int)((long)i * (samples.Count - 1) / 9)]).Distinct()
            .Select(s => $"{s.Rows:N0}→{s.Mb:F0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT rows={rows:N0}\twall={seconds:F2}\trate={rows / seconds:N0}\tpeak={Proc("VmHWM"):F0}\tcpu={cpu:F2}\toutput={output / 1e6:F1}\trss={string.Join(", ", shown)}"));
        return 0;
    }

    /// <summary>
    /// The journal table alone, as CSV: <see cref="Exporter.WriteCsvAsync"/> over
    /// <see cref="Reconciliation"/>'s journal table, in the repeatable-read, read-only transaction the
    /// exporter uses. The clock restarts when the journal starts to be written: the budgets and counts
    /// the reconciliation reads first are the workbook's cost, not the journal's.
    /// </summary>
    private static async Task<long> JournalCsvAsync(GrantLedgerDb db, long programmeId, DateOnly asOf, string folder, ExportProgress progress,
        Stopwatch clock)
    {
        Directory.CreateDirectory(folder);
        await using var tx = await Exporter.BeginSnapshotAsync(db, CancellationToken.None);
        var (conn, npgsqlTx) = await db.NpgsqlAsync();
        var journal = (await Reconciliation.TablesAsync(conn, npgsqlTx, programmeId, asOf, CancellationToken.None)).Single(t => t.Name == "journal");
        Console.WriteLine($"journal-csv: the reconciliation's tables prepared in {clock.Elapsed.TotalSeconds:F2} s (not counted)");
        clock.Restart();
        await Exporter.WriteCsvAsync(journal, Path.Combine(folder, journal.CsvFileName), progress, CancellationToken.None);
        await tx.RollbackAsync();
        return progress.Done;
    }

    private static double Proc(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
