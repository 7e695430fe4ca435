using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GrantLedger.Bench;

/// <summary>
/// Where one request's time goes at one client, to the microsecond: tcpdump (Debian's package) records the loopback
/// packets between wrk, the service and PostgreSQL while wrk sends one request at a time; each request is the packets
/// that carry data, in order — the request (wrk → service), each round trip to PostgreSQL (service → PostgreSQL, then its
/// answer), the answer (service → wrk) — and the time between them is whose it was: the service's from what it waited
/// for to what it sends next, PostgreSQL's from a query's first packet to its answer's last, wrk's from the answer to the
/// next request. Medians over every request of the most common shape (a request whose round trips differ, as when a
/// token is looked up, is left out and counted).
/// </summary>
public static partial class LatencyBudget
{
    /// <summary>Stops the run early with a clear message when tcpdump is not installed.</summary>
    public static void Require() =>
        Tools.Require("tcpdump",
            "tcpdump is not installed: --budget records the service's packets with it. Install it with `apt-get install -y tcpdump` " +
            "(or source scripts/prerequisites.sh and run need_tcpdump; recording needs root), or run without --budget.");

    /// <summary>Records the packets while <paramref name="load"/> runs and returns the budget as a markdown table.</summary>
    public static async Task<string> MeasureAsync(int servicePort, int postgresPort, string file, Func<Task> load)
    {
        var psi = new ProcessStartInfo("tcpdump",
            ["-i", "lo", "-n", "-tt", "-q", "-s", "0", "-w", "-", "-U", $"tcp and (port {servicePort} or port {postgresPort}) and greater 60"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // written as pcap, read back as text once recording has stopped: printing while recording would compete for the CPU
        var pcap = file + ".pcap";
        using (var dump = Process.Start(psi)!)
        {
            await using (var output = File.Create(pcap))
            {
                var copy = dump.StandardOutput.BaseStream.CopyToAsync(output);
                await Task.Delay(500); // tcpdump is listening
                await load();
                await Task.Delay(200);
                Process.Start("kill", ["-INT", dump.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                await copy;
            }
            await dump.WaitForExitAsync();
        }
        var read = new ProcessStartInfo("tcpdump", ["-r", pcap, "-n", "-tt", "-q"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var reader = Process.Start(read)!;
        var text = await reader.StandardOutput.ReadToEndAsync();
        await reader.WaitForExitAsync();
        await File.WriteAllTextAsync(file, text);
        return Table(text, servicePort, postgresPort);
    }

    /// <summary>The budget of the requests in tcpdump's text (-n -tt -q): one markdown row per segment.</summary>
    public static string Table(string tcpdump, int servicePort, int postgresPort)
    {
        // one message per run of data-carrying packets in one direction: r request, s answer, q query, a PostgreSQL's answer
        var messages = new List<(char Kind, double First, double Last)>();
        foreach (Match m in Packet().Matches(tcpdump))
        {
            if (m.Groups["len"].Value == "0") continue;
            var (from, to) = (int.Parse(m.Groups["from"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["to"].Value, CultureInfo.InvariantCulture));
            char? kind = to == servicePort ? 'r' : from == servicePort ? 's' : to == postgresPort ? 'q' : from == postgresPort ? 'a' : null;
            if (kind is not { } k) continue;
            var t = double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture);
            if (messages.Count > 0 && messages[^1].Kind == k) messages[^1] = (k, messages[^1].First, t);
            else messages.Add((k, t, t));
        }
        var kinds = new string(messages.Select(x => x.Kind).ToArray());
        var shapes = Shape().Matches(kinds).GroupBy(m => m.Value).OrderByDescending(g => g.Count()).ToList();
        if (shapes.Count == 0) return "no whole request was recorded";
        var shape = shapes[0].Key;
        var segments = Enumerable.Range(0, shape.Length).Select(_ => new List<double>()).ToList();
        var totals = new List<double>();
        foreach (var m in shapes[0])
        {
            var w = messages.GetRange(m.Index, shape.Length + 1); // and the next request
            for (var i = 0; i < shape.Length; i++)
            {
                // PostgreSQL's time runs from its query's first packet to its answer's last; everyone else's from the last
                // packet they waited for to the first they send
                var span = w[i + 1].Kind == 'a' ? w[i + 1].Last - w[i].First : w[i + 1].First - w[i].Last;
                segments[i].Add(span * 1e6);
            }
            totals.Add((w[^1].First - w[0].First) * 1e6);
        }
        var total = Median(totals);
        var table = new StringBuilder();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{shapes[0].Count():N0} requests of the most common shape ({shapes.Sum(g => g.Count()) - shapes[0].Count():N0} of other shapes left out), medians:"));
        table.AppendLine();
        table.AppendLine("| segment | p50 µs | mean µs | share of the p50 request |");
        table.AppendLine("|---|---|---|---|");
        var round = 0;
        for (var i = 0; i < shape.Length; i++)
        {
            var next = i + 1 < shape.Length ? shape[i + 1] : 'r';
            var name = (shape[i], next) switch
            {
                ('r', 'q') => "service: the request, to its first query",
                ('q', 'a') => $"PostgreSQL: round trip {++round}",
                ('a', 'q') => "service: an answer, to the next query",
                ('a', 's') => "service: the last answer, to the HTTP answer",
                ('r', 's') => "service: the request, to the HTTP answer",
                ('s', 'r') => "wrk: the answer, to the next request",
                _ => $"{shape[i]} → {next}",
            };
            var p50 = Median(segments[i]);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {p50:F0} | {segments[i].Average():F0} | {p50 / total:P0} |"));
        }
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| a request, to the next | {total:F0} | {totals.Average():F0} | |"));
        return table.ToString();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // "1796132108.757739 IP 127.0.0.1.40555 > 127.0.0.1.51486: tcp 1634"
    [GeneratedRegex(@"^(?<t>\d+\.\d+) IP [\d.]+\.(?<from>\d+) > [\d.]+\.(?<to>\d+): tcp (?<len>\d+)$", RegexOptions.Multiline)]
    private static partial Regex Packet();

    // a request, its round trips to PostgreSQL, its answer — followed by the next request
    [GeneratedRegex("r(?:qa)*s(?=r)")]
    private static partial Regex Shape();
}
