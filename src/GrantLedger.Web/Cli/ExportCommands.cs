using System.CommandLine;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Spectre.Console;

namespace GrantLedger.Web.Cli;

/// <summary>
/// <c>export workbook|csv|hledger|beancount --programme ID [--as-of DATE] [--out DIR]</c>: the same exports
/// as the API's background jobs, written straight into a folder (the repository's exports/ by default),
/// with a progress bar. The command line reads the database directly, as an auditor would.
/// </summary>
public static class ExportCommands
{
    private static readonly CurrentUser CommandLine = new(0, "command-line", Roles.Auditor, null, null, null);

    public static Command Create()
    {
        var export = new Command("export", "Export a programme as of a date: the reconciliation workbook, CSV per table, or the journal for hledger or Beancount.");
        foreach (var kind in Enum.GetValues<ExportKind>())
            export.Subcommands.Add(Kind(kind));
        return export;
    }

    private static Command Kind(ExportKind kind)
    {
        var command = new Command(Kebab.Of(kind), kind switch
        {
            ExportKind.Workbook => "The reconciliation workbook (.xlsx).",
            ExportKind.Csv => "A CSV file per table of the workbook.",
            ExportKind.Hledger => "The journal in hledger format: money and staff time (MIN) in two files.",
            _ => "The journal in Beancount format: money and staff time (MIN) in two files.",
        });
        var programme = new Option<long>("--programme") { Description = "the programme's id", Required = true };
        var asOf = new Option<DateOnly?>("--as-of") { Description = "balances at the end of this day (default: today)" };
        var output = new Option<string?>("--out") { Description = "the folder to write into (default: the repository's exports/)" };
        var maxRows = new Option<long?>("--max-sheet-rows") { Description = "rows per sheet, header included (default: Excel's 1,048,576)", Hidden = true };
        command.Options.Add(programme);
        command.Options.Add(asOf);
        command.Options.Add(output);
        command.Options.Add(maxRows);
        command.SetAction((parse, ct) => Commands.WithServicesAsync(async (services, _) =>
        {
            await services.GetRequiredService<DatabaseEndpoint>().MigrateAsync(ct);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GrantLedgerDb>();
            var date = parse.GetValue(asOf) ?? UkTime.Today;
            var folder = Path.GetFullPath(parse.GetValue(output) ?? DefaultFolder());
            var options = new ExportOptions(parse.GetValue(maxRows) ?? WorkbookWriter.ExcelMaxRows);
            var progress = new ExportProgress();
            IReadOnlyList<ExportedFile> files = [];
            try
            {
                await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask($"{Kebab.Of(kind)} of programme {parse.GetValue(programme)} as of {date:yyyy-MM-dd}", maxValue: 100);
                        var work = Exporter.WriteAsync(db, CommandLine, parse.GetValue(programme), kind, date, folder, progress, options, ct);
                        while (!work.IsCompleted)
                        {
                            task.Value = progress.Percent;
                            await Task.WhenAny(work, Task.Delay(200, ct));
                        }
                        files = await work;
                        task.Value = 100;
                    });
            }
            catch (Exception e) when (e is Core.Rules.NotFound or Core.Rules.Forbidden or Core.Rules.RuleBroken)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            foreach (var f in files) Console.WriteLine(f.Path);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>exports/ at the top of the repository (found upwards from here), or ./exports.</summary>
    public static string DefaultFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return Path.Combine(dir.FullName, "exports");
        return Path.GetFullPath("exports");
    }
}
