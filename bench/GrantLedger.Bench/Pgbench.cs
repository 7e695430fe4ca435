using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GrantLedger.Bench;

/// <summary>
/// pgbench with a custom script against the benchmark's cluster (-M prepared, one thread per client,
/// a per-transaction log for the latencies): the raw-SQL ceiling beside each service measurement.
/// </summary>
public static partial class Pgbench
{
    /// <param name="Transactions">commits; multiply by the script's transfers per commit for transfers</param>
    public sealed record Run(long Transactions, double Seconds, double P50Ms, double P99Ms)
    {
        public double PerSecond => Transactions / Seconds;
    }

    public static async Task<Run> RunAsync(BenchCluster db, string script, int clients, int seconds, IReadOnlyDictionary<string, object> defines)
    {
        var logs = Path.Combine(db.Root, $"pgbench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(logs);
        var bin = Path.Combine(Web.Infrastructure.LocalPostgres.FindBinaries(), "pgbench");
        var c = clients.ToString(CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "-h", "127.0.0.1", "-p", db.Postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-n",
            "-M", "prepared", "-c", c, "-j", c, "-T", seconds.ToString(CultureInfo.InvariantCulture), "-f", Path.GetFullPath(script),
            "-l", "--log-prefix", Path.Combine(logs, "tx"),
        };
        foreach (var (name, value) in defines) args.AddRange(["-D", string.Create(CultureInfo.InvariantCulture, $"{name}={value}")]);
        args.Add(BenchCluster.Database);
        var psi = new ProcessStartInfo(bin, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        await proc.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (proc.ExitCode != 0) throw new InvalidOperationException($"pgbench failed ({proc.ExitCode}):\n{output}");
        var processed = long.Parse(TransactionsLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var failed = FailedLine().Match(output) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (failed != 0) throw new InvalidOperationException($"pgbench: {failed} transactions failed:\n{output}");
        // per-transaction log: client_id transaction_no time(us) script_no time_epoch time_us
        var latencies = Directory.GetFiles(logs).SelectMany(File.ReadLines)
            .Select(l => double.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture) / 1000.0).ToArray();
        Array.Sort(latencies);
        Directory.Delete(logs, recursive: true);
        return new Run(processed, seconds, PostingBench.Percentile(latencies, 0.50), PostingBench.Percentile(latencies, 0.99));
    }

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex TransactionsLine();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex FailedLine();
}
