using System.Globalization;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;

namespace GrantLedger.Web.Exports;

/// <summary>What a column holds, which decides its cell type and number format in the workbook and its text in CSV.</summary>
public enum CellKind
{
    Text,
    /// <summary>Text with few distinct values (an area, a year, a unit, a state): the workbook keeps each once, in its shared strings.</summary>
    Label,
    /// <summary>long pence: a number with a £ format in the workbook, "1234.50" in CSV.</summary>
    Money,
    /// <summary>long minutes (or any whole number): "#,##0" in the workbook.</summary>
    Integer,
    /// <summary>An <see cref="UnitAmount"/>: money or minutes, row by row.</summary>
    Amount,
    Date,
    DateTime,
    Boolean,
}

public sealed record Column(string Name, CellKind Kind, double? Width = null)
{
    /// <summary>The width in characters: what was asked, or enough for the header and a typical value.</summary>
    public double EffectiveWidth => Width ?? Math.Max(Name.Length + 3, Kind switch
    {
        CellKind.Text or CellKind.Label => 14,
        CellKind.Money or CellKind.Amount => 14,
        CellKind.Date => 12,
        CellKind.DateTime => 17,
        _ => 10,
    });
}

/// <summary>An amount in its unit, for columns that mix money and staff time (the checks).</summary>
public readonly record struct UnitAmount(Unit Unit, long Value)
{
    public override string ToString() => Allocations.Amounts.Format(Unit, Value);
}

/// <summary>A value the workbook writes as a formula with its result cached beside it (CSV gets the result).</summary>
public sealed record Computed(string Formula, object Value);

/// <summary>
/// One table of an export: its name (the CSV file's, and the sheet's), its columns, and its rows,
/// read as they are written so that memory does not grow with them. Rows are arrays of
/// string, long, <see cref="UnitAmount"/>, DateOnly, DateTimeOffset, bool, <see cref="Computed"/> or null.
/// </summary>
public sealed class ExportTable
{
    public required string Name { get; init; }
    public required string SheetName { get; init; }
    public required string Purpose { get; init; }
    public required IReadOnlyList<Column> Columns { get; init; }
    public required Func<CancellationToken, IAsyncEnumerable<object?[]>> Rows { get; init; }
    /// <summary>How many rows there will be, for progress (and for the note on a sheet cut short).</summary>
    public long EstimatedRows { get; init; }

    public string CsvFileName => Name + ".csv";
}

/// <summary>Text forms of cell values, shared by CSV and the plain-text journals.</summary>
public static class CellText
{
    public static string? Csv(object? value) => value switch
    {
        null => null,
        string s => s,
        long n => n.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        UnitAmount a => a.ToString(),
        DateOnly d => d.ToString("O", CultureInfo.InvariantCulture), // yyyy-MM-dd
        DateTimeOffset t => Utc(t),
        bool b => b ? "true" : "false",
        Computed c => Csv(c.Value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>A moment as UTC to the second, "2026-11-30T08:15:38Z" (the sortable format's fast path, not a custom format: millions are written).</summary>
    public static string Utc(DateTimeOffset t)
    {
        Span<char> text = stackalloc char[24];
        t.UtcDateTime.TryFormat(text, out var written, "s", CultureInfo.InvariantCulture);
        text[written++] = 'Z';
        return new string(text[..written]);
    }

    /// <summary>Money columns: "1234.50", a formula's value too (a total). Everything else as <see cref="Csv(object?)"/>.</summary>
    public static string? Csv(object? value, CellKind kind) => value switch
    {
        Computed c => Csv(c.Value, kind),
        long pence when kind == CellKind.Money => new Money(pence).ToDecimalString(),
        _ => Csv(value),
    };
}
