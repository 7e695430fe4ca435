using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GrantLedger.Bench;

/// <summary>
/// wrk (Debian's package) driving the service over HTTP with a Lua script: requests per second,
/// latency percentiles (--latency) and the count of answers that were not 2xx.
/// </summary>
public static partial class Wrk
{
    public sealed record Run(long Requests, double Seconds, double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long SocketErrors, IReadOnlyDictionary<int, long> Statuses, string Output)
    {
        public long Status(int code) => Statuses.GetValueOrDefault(code);
    }

    /// <summary>Stops the run early with a clear message when wrk is not installed.</summary>
    public static void Require() =>
        Tools.Require("wrk",
            "wrk is not installed: this benchmark drives the service with it. Install it with `apt-get install -y wrk` " +
            "(or source scripts/prerequisites.sh and run need_wrk), then run the benchmark again.");

    /// <param name="scriptArgs">passed to the Lua script's init(args) after `--`</param>
    public static async Task<Run> RunAsync(Uri baseAddress, string script, int connections, int seconds, params string[] scriptArgs)
    {
        var threads = Math.Min(connections, Environment.ProcessorCount);
        var args = new List<string>
        {
            "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{seconds}s", "--timeout", "30s", "--latency", "-s", Path.GetFullPath(script), baseAddress.ToString(), "--",
            threads.ToString(CultureInfo.InvariantCulture),
        };
        args.AddRange(scriptArgs);
        var psi = new ProcessStartInfo("wrk", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        await proc.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (proc.ExitCode != 0 || !RequestsLine().IsMatch(output)) throw new InvalidOperationException($"wrk failed ({proc.ExitCode}):\n{output}");
        var requests = long.Parse(RequestsLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var elapsed = double.Parse(RequestsLine().Match(output).Groups[2].Value, CultureInfo.InvariantCulture);
        var non2xx = Non2xxLine().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var socket = SocketErrorsLine().Match(output) is { Success: true } s
            ? s.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var statuses = StatusLine().Matches(output).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        return new Run(requests, elapsed, requests / elapsed, Percentile(output, "50%"), Percentile(output, "99%"), non2xx, socket, statuses, output);
    }

    /// <summary>A line of wrk's latency distribution, e.g. "     99%   12.34ms", in milliseconds.</summary>
    private static double Percentile(string output, string which)
    {
        var m = Regex.Match(output, $@"^\s*{Regex.Escape(which)}\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
        if (!m.Success) return double.NaN;
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "ms" => value, "s" => value * 1000, _ => value * 60_000 };
    }

    [GeneratedRegex(@"^status (\d+): (\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"(\d+) requests in ([\d.]+)s")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsLine();
}
