using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using CsvHelper;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Pages;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// The CSV files people send (a claim's lines, schools from "Get Information About Schools", the finance system's
/// payment confirmations), read one way: RFC 4180, comma-separated, cells trimmed, line numbers kept for the answer.
/// A file that is not text a row of the database can hold is refused as the field "file", naming its line, before
/// anything is made of it: a record longer than its import allows, or a NUL character (PostgreSQL's text cannot hold
/// one; JSON bodies and queries are refused for it too).
/// <para>
/// A file is read as UTF-16 when it starts with UTF-16's mark, or when its first characters are ASCII written as UTF-16
/// without one; as UTF-8 when it is UTF-8 throughout (with or without a byte order mark); and otherwise as Windows-1252: what a spreadsheet's plain "CSV" is saved in on a UK computer, and
/// what "Get Information About Schools" exports are, where "£", "é" and Word's quotes and dashes are one byte each.
/// Read as UTF-8 those would be stored as "�".
/// </para>
/// </summary>
public static partial class CsvFiles
{
    private static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    /// <param name="file">the whole file, as sent (the callers' request size limits bound it)</param>
    public static CsvReader Open(byte[] file, int maxRecordBytes)
    {
        var utf8 = AsUtf8(file);
        var unclosed = new Unclosed();
        var parser = CsvReader.Create(new MemoryStream(utf8), new CsvReaderOptions
        {
            Separator = ',', TrimWhitespace = true, TrackLineNumbers = true, MaxRecordSize = maxRecordBytes,
            // a quote never closed runs to the end of the file (a description may hold line breaks): note where it opened
            OnMalformedRecord = r =>
            {
                if (r.Reason == CsvMalformedReason.UnterminatedQuote) unclosed.Line = (int)r.LineNumber + LinesBeforeUnclosedQuote(r.RawRecord);
            },
        });
        UnclosedQuotes.Add(parser, unclosed);
        return parser;
    }

    /// <summary>How many line breaks a record holds before the quote it leaves open (one closed on an earlier line may hold some).</summary>
    private static int LinesBeforeUnclosedQuote(string record)
    {
        var (open, opened) = (false, 0);
        for (var i = 0; i < record.Length; i++)
        {
            if (record[i] != '"') continue;
            if (open && i + 1 < record.Length && record[i + 1] == '"') i++; // a quote inside quotes, doubled
            else if (open) open = false;
            else (open, opened) = (true, i);
        }
        return record.AsSpan(0, opened).Count('\n');
    }

    private sealed class Unclosed { public int? Line; }
    private static readonly ConditionalWeakTable<CsvReader, Unclosed> UnclosedQuotes = new();

    /// <summary>
    /// What makes the row just read unreadable as a row of its header, or null: a quote opened and never closed, or
    /// more or fewer fields than the header has. Each such row is refused whole, by its line, as the other rows are
    /// checked: an amount typed 1,250.00 without quotes is two fields, and reading the first alone made £1,250 £1.
    /// </summary>
    public static string? RowProblem(CsvReader parser)
    {
        if (UnclosedQuotes.TryGetValue(parser, out var unclosed) && unclosed.Line is { } quoteLine)
            return $"the quote (\") on line {quoteLine} is not closed, so the rest of the file is read as one value: close it, or leave the quote out";
        var (fields, columns) = (parser.FieldCount, parser.Headers.Count);
        if (fields == columns) return null;
        var problem = $"has {fields} {(fields == 1 ? "field" : "fields")} but the header has {columns} columns";
        if (fields < columns) return problem + ": give every column a value, leaving a cell empty where it has none";
        for (var i = 0; i + (fields - columns) < fields; i++)
        {
            var joined = string.Join(",", Enumerable.Range(i, fields - columns + 1).Select(parser.GetString));
            if (ThousandsComma().IsMatch(joined))
                return problem + $": '{joined}' looks like a number split by its thousands comma; put the amount in quotes or leave out the comma";
        }
        return problem + ": a value that holds a comma must be in quotes";
    }

    /// <summary>An amount written with thousands commas, as a spreadsheet shows one: 1,250.00, £12,500, -1,000.</summary>
    [GeneratedRegex(@"^-?£?-?\d{1,3}(,\d{3})+(\.\d+)?$")]
    private static partial Regex ThousandsComma();

    /// <summary>The file as UTF-8: as it is when it is UTF-8 already, else decoded from UTF-16 or Windows-1252.</summary>
    private static byte[] AsUtf8(byte[] file) => file switch
    {
        [0xFF, 0xFE, ..] => Encoding.UTF8.GetBytes(Encoding.Unicode.GetString(file, 2, file.Length - 2)),
        [0xFE, 0xFF, ..] => Encoding.UTF8.GetBytes(Encoding.BigEndianUnicode.GetString(file, 2, file.Length - 2)),
        _ when Utf16WithoutMark(file) is { } utf16 => Encoding.UTF8.GetBytes(utf16.GetString(file)),
        _ when Utf8.IsValid(file) => file,
        _ => Encoding.UTF8.GetBytes(Windows1252.GetString(file)),
    };

    /// <summary>
    /// UTF-16 saved without its mark (some scripts and older tools write it so): every other byte of its first line is
    /// NUL, the high half of the Latin letters, digits and commas a CSV header is made of. Text in any other encoding has
    /// no NUL at all (and a file with a stray one is still refused for it, naming the line).
    /// </summary>
    private static Encoding? Utf16WithoutMark(byte[] file)
    {
        var firstLine = file.AsSpan(0, Math.Min(file.Length, 200) & ~1);
        if (firstLine.Length < 4) return null;
        var (even, odd) = (0, 0);
        for (var i = 0; i < firstLine.Length; i += 2)
        {
            if (firstLine[i] == 0) even++;
            if (firstLine[i + 1] == 0) odd++;
        }
        var pairs = firstLine.Length / 2;
        return odd == pairs && even == 0 ? Encoding.Unicode : even == pairs && odd == 0 ? Encoding.BigEndianUnicode : null;
    }

    /// <summary>
    /// A date in a file sent in: as written by hand or by an export (2026-10-05), or as a UK spreadsheet saves one
    /// (05/10/2026, 5/10/2026): day first, never month first.
    /// </summary>
    public static bool TryDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text.Trim(), ["yyyy-MM-dd", "dd/MM/yyyy", "d/M/yyyy"], System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out date);

    /// <summary>How <see cref="TryDate"/>'s refusals say what is wanted.</summary>
    public const string DateWanted = "a date such as 2026-10-05 or 05/10/2026 (day first)";

    public static async Task ReadHeaderAsync(CsvReader parser, CancellationToken ct)
    {
        try
        {
            await parser.ReadHeaderAsync(ct);
        }
        catch (CsvFormatException e)
        {
            throw Unreadable(parser, e);
        }
        if (parser.Headers.Any(h => h.Contains('\0'))) throw HasNul(1);
        if (parser.Headers.Count == 1 && OtherSeparator(parser.Headers[0]) is { } separator)
            throw new InvalidInput("file", $"has its columns separated by {separator}; use commas: save it again as 'CSV (comma delimited)'");
    }

    /// <summary>A header of one column that holds another separator, as a spreadsheet set to a European locale saves one.</summary>
    private static string? OtherSeparator(string header) =>
        header.Contains(';') ? "semicolons" : header.Contains('\t') ? "tabs" : header.Contains('|') ? "vertical bars (|)" : null;

    /// <returns>false at the end of the file</returns>
    public static async Task<bool> ReadAsync(CsvReader parser, CancellationToken ct)
    {
        bool read;
        try
        {
            read = await parser.ReadAsync(ct);
        }
        catch (CsvFormatException e)
        {
            throw Unreadable(parser, e);
        }
        if (read && parser.RawRecord.Contains((byte)0)) throw HasNul(parser.LineNumber);
        return read;
    }

    private static InvalidInput Unreadable(CsvReader parser, CsvFormatException e)
    {
        var where = e.LineNumber > 0 ? $"line {e.LineNumber}" : "a line";
        return new InvalidInput("file", e.Message.Contains("MaxRecordSize", StringComparison.Ordinal)
            ? $"{where} is longer than this import takes ({Gov.Number((parser.Options.MaxRecordSize ?? 0) / 1024)} KB a line)"
            : $"cannot be read as CSV at {where}: {e.Message}");
    }

    private static InvalidInput HasNul(long line) =>
        new("file", $"line {line} holds a NUL character, which is not text: save the file again as CSV (UTF-8)");
}
