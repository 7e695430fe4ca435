using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Exports;

namespace GrantLedger.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/GrantLedger.Bench -- workbook [rows] [fastest|optimal|none|generate]</c>:
/// streams a sheet of 1,000,000 rows x 8 columns (text, money, whole numbers, staff time, dates and
/// times) through <see cref="WorkbookWriter"/> into a temporary .xlsx, and reports the time and the
/// peak memory of the process (VmHWM). Targets: at most 10 s and 150 MB.
/// </summary>
public static class WorkbookBench
{
    private static readonly Column[] Columns =
    [
        new("School", CellKind.Text), new("URN", CellKind.Text), new("Allocated", CellKind.Money), new("Approved", CellKind.Money),
        new("Minutes", CellKind.Integer), new("Amount", CellKind.Amount), new("Value date", CellKind.Date), new("Recorded", CellKind.DateTime),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var level = (args.Length > 1 ? args[1] : "fastest") switch
        {
            "optimal" => CompressionLevel.Optimal,
            "none" => CompressionLevel.NoCompression,
            _ => CompressionLevel.Fastest,
        };
        if (args.Length > 1 && args[1] == "generate")
        {
            // the rows alone, formatted as the CSV would: what the writer's time includes before any XML
            var watch = Stopwatch.StartNew();
            long cells = 0;
            await foreach (var row in Rows(rows))
                foreach (var value in row)
                    cells += CellText.Csv(value)?.Length ?? 0;
            Console.WriteLine($"generate: {rows:#,0} rows in {watch.Elapsed.TotalSeconds:0.00} s ({cells:#,0} characters)");
            return 0;
        }
        var path = Path.Combine(Path.GetTempPath(), $"grantledger-bench-{Environment.ProcessId}.xlsx");
        try
        {
            var clock = Stopwatch.StartNew();
            SheetResult result;
            await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var book = new WorkbookWriter(file, level))
            {
                result = await book.AddSheetAsync("Bench", Columns, Rows(rows));
                book.Finish();
            }
            clock.Stop();
            var size = new FileInfo(path).Length;
            Console.WriteLine($"workbook: {result.Rows:#,0} rows x {Columns.Length} columns ({level}) in {clock.Elapsed.TotalSeconds:0.00} s; " +
                              $"{result.Rows / clock.Elapsed.TotalSeconds:#,0} rows/s; file {size / 1e6:0.0} MB; " +
                              $"peak memory (VmHWM) {PeakMegabytes():0} MB; allocated {GC.GetTotalAllocatedBytes() / 1e6:#,0} MB; " +
                              $"gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
            // on a busy machine the wall clock measures the neighbours: the busiest thread's CPU time is
            // what the wall clock would be on two idle cores (XML on one, compression on the other)
            var process = Process.GetCurrentProcess();
            var busiest = process.Threads.Cast<ProcessThread>().Max(t => t.TotalProcessorTime.TotalSeconds);
            Console.WriteLine($"cpu: process {process.TotalProcessorTime.TotalSeconds:0.00} s; busiest thread {busiest:0.00} s");
            var ok = clock.Elapsed.TotalSeconds <= 10 && PeakMegabytes() <= 150;
            Console.WriteLine(ok || rows != 1_000_000 ? "within target (10 s, 150 MB)" : "OUTSIDE target (10 s, 150 MB)");
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

#pragma warning disable CS1998 // generated rows, as a database reader would hand them over
    private static async IAsyncEnumerable<object?[]> Rows(long count)
    {
        var day = new DateOnly(2026, 9, 1);
        var recorded = new DateTimeOffset(2026, 9, 1, 8, 30, 0, TimeSpan.Zero);
        for (long i = 0; i < count; i++)
        {
            var urn = 100000 + i % 24000;
            yield return
            [
                "School " + urn.ToString(CultureInfo.InvariantCulture), urn.ToString(CultureInfo.InvariantCulture), 800_000 + i % 997, i % 250_000,
                i % 2250, new UnitAmount(i % 3 == 0 ? Unit.Minutes : Unit.Gbp, i), day.AddDays((int)(i % 365)), recorded.AddSeconds(i),
            ];
        }
    }
#pragma warning restore CS1998

    /// <summary>The process's peak resident memory, from /proc (Linux).</summary>
    public static double PeakMegabytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
