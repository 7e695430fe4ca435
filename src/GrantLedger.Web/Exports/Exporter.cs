using System.Data;
using System.Text;
using CsvHelper;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace GrantLedger.Web.Exports;

public enum ExportKind { Workbook, Csv, Hledger, Beancount }

/// <summary>How far an export has gone, in rows: read by the command line's progress bar and the job's percentage.</summary>
public sealed class ExportProgress
{
    private long _total, _done;

    public void AddTotal(long rows) => Interlocked.Add(ref _total, rows);
    public void Advance(long rows) => Interlocked.Add(ref _done, rows);
    public long Total => Interlocked.Read(ref _total);
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Starts counting again: the export is being written anew (on the primary, after the replica failed it).</summary>
    public void Restart()
    {
        Interlocked.Exchange(ref _total, 0);
        Interlocked.Exchange(ref _done, 0);
    }

    /// <summary>0–99 while running: 100 is for when the file is safely stored.</summary>
    public int Percent => Total == 0 ? 0 : (int)Math.Min(99, Done * 100 / Total);
}

/// <param name="MaxSheetRows">rows per sheet, header included: Excel's limit, or less in a test</param>
public sealed record ExportOptions(long MaxSheetRows = WorkbookWriter.ExcelMaxRows);

public sealed record ExportedFile(string Path, string ContentType);

/// <summary>
/// Writes one kind of export of a programme as of a date into a folder: the reconciliation workbook,
/// a CSV per table, or the journal in hledger or Beancount format (money and staff time in separate
/// files). Everything is read in one repeatable-read, read-only transaction, so the tables agree.
/// </summary>
public static class Exporter
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static string Prefix(string programmeCode, DateOnly asOf) => $"{programmeCode}-{asOf:yyyy-MM-dd}";

    public static void EnsureMayExport(CurrentUser caller, long programmeId)
    {
        if (caller.Role is not (Roles.FunderFinance or Roles.ProgrammeAdmin or Roles.Auditor))
            throw new Forbidden("exports are taken by funder finance, programme admins and auditors");
        caller.EnsureWholeProgramme(programmeId);
    }

    public static async Task<IReadOnlyList<ExportedFile>> WriteAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, ExportKind kind,
        DateOnly asOf, string directory, ExportProgress? progress = null, ExportOptions? options = null, CancellationToken ct = default)
    {
        var programme = await db.Programmes.AsNoTracking().SingleOrDefaultAsync(p => p.Id == programmeId, ct) ?? throw new NotFound("programme", programmeId);
        EnsureMayExport(caller, programmeId);
        progress ??= new ExportProgress();
        options ??= new ExportOptions();
        Directory.CreateDirectory(directory);
        var prefix = Prefix(programme.Code, asOf);

        await using var tx = await BeginSnapshotAsync(db, ct);
        var (conn, npgsqlTx) = await db.NpgsqlAsync(ct);
        var files = new List<ExportedFile>();
        switch (kind)
        {
            case ExportKind.Workbook:
            {
                var tables = await Reconciliation.TablesAsync(conn, npgsqlTx, programmeId, asOf, ct);
                progress.AddTotal(tables.Sum(t => t.EstimatedRows));
                var path = Path.Combine(directory, $"{prefix}-reconciliation.xlsx");
                await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                using (var book = new WorkbookWriter(file))
                {
                    await book.AddSheetAsync("About", [new("Item", CellKind.Text, 28), new("Value", CellKind.Text, 110)],
                        About(programme, asOf, tables), ct: ct);
                    foreach (var t in tables)
                        await book.AddSheetAsync(t.SheetName, t.Columns, t.Rows(ct), options.MaxSheetRows, $"{prefix}-{t.CsvFileName}", t.EstimatedRows,
                            progress.Advance, ct);
                    book.Finish();
                }
                files.Add(new ExportedFile(path, XlsxType));
                break;
            }
            case ExportKind.Csv:
            {
                var tables = await Reconciliation.TablesAsync(conn, npgsqlTx, programmeId, asOf, ct);
                progress.AddTotal(tables.Sum(t => t.EstimatedRows));
                foreach (var t in tables)
                {
                    var path = Path.Combine(directory, $"{prefix}-{t.CsvFileName}");
                    await WriteCsvAsync(t, path, progress, ct);
                    files.Add(new ExportedFile(path, "text/csv"));
                }
                break;
            }
            case ExportKind.Hledger or ExportKind.Beancount:
            {
                var format = kind == ExportKind.Hledger ? JournalFormat.Hledger : JournalFormat.Beancount;
                progress.AddTotal(await PlainTextJournal.CountAsync(conn, npgsqlTx, programmeId, asOf, ct));
                var workspace = new PlainTextJournal.Workspace();
                foreach (var unit in new[] { Unit.Gbp, Unit.Minutes })
                {
                    var path = Path.Combine(directory, PlainTextJournal.FileName(programme.Code, asOf, unit, format));
                    await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
                        await PlainTextJournal.WriteAsync(conn, npgsqlTx, programmeId, programme.Code, programme.Name, unit, asOf, format, writer,
                            workspace, progress.Advance, ct);
                    files.Add(new ExportedFile(path, "text/plain"));
                }
                break;
            }
        }
        await tx.RollbackAsync(ct); // read only: nothing to commit
        return files;
    }

    /// <summary>
    /// The exporter's transaction: one snapshot for every table (repeatable read), read only, and no
    /// JIT compilation — the reconciliation's queries are costed high enough to be compiled with
    /// inlining and optimisation, which took longer than it saved on statements that stream their rows.
    /// </summary>
    public static async Task<IDbContextTransaction> BeginSnapshotAsync(GrantLedgerDb db, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await db.Database.ExecuteSqlRawAsync("SET TRANSACTION READ ONLY; SET LOCAL jit = off", ct);
        return tx;
    }

    /// <summary>UTF-8 without a byte order mark, a header row, CRLF; money as "1234.50"; no value a spreadsheet would run (<see cref="Csv.FormulaSafe"/>).</summary>
    public static async Task WriteCsvAsync(ExportTable table, string path, ExportProgress? progress, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var csv = CsvWriter.Create(file, new CsvWriterOptions(), leaveOpen: true);
        csv.WriteHeader(table.Columns.Select(c => c.Name).ToArray());
        var kinds = table.Columns.Select(c => c.Kind).ToArray();
        await foreach (var row in ReadAhead.Rows(table.Rows, ct))
        {
            for (var i = 0; i < kinds.Length; i++) csv.WriteField(Csv.FormulaSafe(CellText.Csv(i < row.Length ? row[i] : null, kinds[i])));
            csv.EndRecord();
            progress?.Advance(1);
        }
        csv.Flush();
    }

#pragma warning disable CS1998 // rows already in memory
    private static async IAsyncEnumerable<object?[]> About(Programmes.Programme programme, DateOnly asOf, IReadOnlyList<ExportTable> tables)
    {
        yield return ["Programme", $"{programme.Name} ({programme.Code}), funded by {programme.Funder}"];
        yield return ["As of", asOf];
        yield return ["Generated", DateTimeOffset.UtcNow];
        yield return ["Balances", $"the ledger as it stood at the end of {asOf:d MMMM yyyy}: transfers with a value date on or before it"];
        yield return ["Money", "pounds with a £ format, exact to the penny"];
        yield return ["Staff time", "minutes (a day is 450)"];
        foreach (var t in tables)
            yield return [$"{t.SheetName} ({Gov.Number(t.EstimatedRows)} rows)", t.Purpose];
        yield return ["Every table", "is also a CSV file: export csv"];
    }
#pragma warning restore CS1998
}
