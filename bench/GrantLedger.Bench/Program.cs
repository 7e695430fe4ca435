using System.Globalization;
using GrantLedger.Bench;

// dotnet run -c Release --project bench/GrantLedger.Bench -- posting|http-posting|bulk|hot|payment-run|seed-national|exports|reads|workbook [--option value …]
// Each command starts its own PostgreSQL cluster (fsync on, synchronous_commit on), prints its
// figures and keeps a copy under bench/results (git-ignored). --cluster DIR keeps the cluster
// in DIR afterwards (to look at it); otherwise it is deleted.
if (args is ["workbook", ..]) return await WorkbookBench.RunAsync(args[1..]);
if (args is ["export-one", ..])
{
    var one = Args.Parse(args[1..]);
    return await ExportsBench.RunOneAsync(one.Get("cluster")!, long.Parse(one.Get("programme")!, CultureInfo.InvariantCulture), one.Get("kind")!,
        DateOnly.Parse(one.Get("as-of")!, CultureInfo.InvariantCulture));
}

var command = args.FirstOrDefault() ?? "help";
var options = Args.Parse(args.Skip(1).ToArray());
var repo = Args.RepositoryRoot();
var results = Path.Combine(repo, "bench", "results");
Directory.CreateDirectory(results);
var reportPath = Path.Combine(results, $"{command}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.txt");
await using var file = new StreamWriter(reportPath);
var report = new Tee(Console.Out, file);
report.WriteLine($"# GrantLedger.Bench {string.Join(' ', args)}  ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.MachineName}, " +
                 $"{Environment.ProcessorCount} cores, .NET {Environment.Version})");
switch (command)
{
    case "posting":
        return await PostingBench.RunAsync(new PostingBench.Options(
            options.Int("seconds", 20),
            options.Get("clients", "1,4").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            options.Int("rounds", 2),
            options.Int("schools", 1000),
            options.Int("history", 200_000),
            options.Get("script", Path.Combine(repo, "bench", "posting.pgbench.sql")),
            options.Get("cluster")), report);
    case "http-posting":
        return await HttpPostingBench.RunAsync(new HttpPostingBench.Options(
            options.Int("seconds", 20),
            options.Get("clients", "4").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            options.Int("rounds", 2),
            options.Int("schools", 1000),
            options.Int("history", 200_000),
            options.Get("cluster"),
            options.Get("log-slow") is { } slow ? int.Parse(slow, CultureInfo.InvariantCulture) : null,
            options.Get("budget") is not null), report);
    case "bulk":
        return await BulkBench.RunAsync(new BulkBench.Options(
            options.Int("schools", 24_000),
            options.Int("categories", 4),
            options.Int("rounds", 2),
            options.Int("seconds", 20),
            options.Get("clients", "1,4").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            options.Int("history", 200_000),
            options.Get("cluster"),
            options.Get("log-slow") is { } bulkSlow ? int.Parse(bulkSlow, CultureInfo.InvariantCulture) : null,
            options.Int("warm-up-lines", 1)), report);
    case "hot":
        return await HotBench.RunAsync(new HotBench.Options(
            options.Int("seconds", 20),
            options.Get("clients", "8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            options.Int("rounds", 2),
            options.Int("history", 200_000),
            options.Get("cluster"),
            options.Get("log-slow") is { } hotSlow ? int.Parse(hotSlow, CultureInfo.InvariantCulture) : null), report);
    case "payment-run":
        return await PaymentRunBench.RunAsync(options.Int("schools", 24_000), options.Int("rounds", 3), options.Get("cluster"),
            options.Get("log-slow") is { } ms ? int.Parse(ms, CultureInfo.InvariantCulture) : null, report);
    case "seed-national":
        return await NationalSeed.RunAsync(options.Int("schools", 24_000), options.Int("claims-per-year", 100_000), options.Int("reads", 300),
            options.Get("cluster"), report);
    case "exports":
        return await ExportsBench.RunAsync(options.Get("cluster") ?? throw new ArgumentException("exports needs --cluster DIR (a seed-national cluster)"),
            options.Get("as-of") is { } asOf ? DateOnly.Parse(asOf, CultureInfo.InvariantCulture) : DateOnly.FromDateTime(DateTime.UtcNow),
            options.Get("kinds", "workbook,journal-csv,csv,hledger,beancount").Split(','), report);
    case "reads":
        return await ReadsBench.RunAsync(options.Get("cluster") ?? throw new ArgumentException("reads needs --cluster DIR (a seed-national cluster)"),
            options.Int("schools", 100), options.Int("seconds", 20),
            options.Get("connections", "1,4").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            options.Get("auto-prepare") is { } prepare ? int.Parse(prepare, CultureInfo.InvariantCulture) : null, report,
            ReadsRoles.Of(options), options.Get("only")?.Split(','));
    default:
        Console.Error.WriteLine("usage: GrantLedger.Bench posting|http-posting|bulk|hot|payment-run|seed-national|exports|reads|workbook [--option value …]");
        return 2;
}

namespace GrantLedger.Bench
{
    public sealed class Args(Dictionary<string, string> values)
    {
        public static Args Parse(string[] args)
        {
            var values = new Dictionary<string, string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--")) throw new ArgumentException($"unexpected argument {args[i]}");
                values[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
            }
            return new Args(values);
        }

        public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
        public string? Get(string name) => values.GetValueOrDefault(name);
        public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        public static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return dir.FullName;
            return Directory.GetCurrentDirectory();
        }
    }

    /// <summary>Writes the report to the console and to its file.</summary>
    public sealed class Tee(TextWriter a, TextWriter b) : TextWriter
    {
        public override System.Text.Encoding Encoding => a.Encoding;
        public override void Write(char value) { a.Write(value); b.Write(value); }
        public override void WriteLine(string? value) { a.WriteLine(value); b.WriteLine(value); b.Flush(); }
    }
}
