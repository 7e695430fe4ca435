using System.Text;
using System.Text.Unicode;
using CsvHelper;
using GrantLedger.Core.Rules;

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
public static class CsvFiles
{
    private static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    /// <param name="file">the whole file, as sent (the callers' request size limits bound it)</param>
    public static CsvReader Open(byte[] file, int maxRecordBytes) => CsvReader.Create(new MemoryStream(AsUtf8(file)), new CsvReaderOptions
    {
        Separator = ',', TrimWhitespace = true, TrackLineNumbers = true, MaxRecordSize = maxRecordBytes,
    });

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
    }

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
            ? $"{where} is longer than this import takes ({parser.Options.MaxRecordSize / 1024:N0} KB a line)"
            : $"cannot be read as CSV at {where}: {e.Message}");
    }

    private static InvalidInput HasNul(long line) =>
        new("file", $"line {line} holds a NUL character, which is not text: save the file again as CSV (UTF-8)");
}
