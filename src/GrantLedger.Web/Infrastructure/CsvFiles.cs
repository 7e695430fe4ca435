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
/// A file is read as UTF-8 when it is UTF-8 throughout (with or without a byte order mark), as UTF-16 when it starts
/// with UTF-16's mark, and otherwise as Windows-1252: what a spreadsheet's plain "CSV" is saved in on a UK computer, and
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
        _ when Utf8.IsValid(file) => file,
        [0xFF, 0xFE, ..] => Encoding.UTF8.GetBytes(Encoding.Unicode.GetString(file, 2, file.Length - 2)),
        [0xFE, 0xFF, ..] => Encoding.UTF8.GetBytes(Encoding.BigEndianUnicode.GetString(file, 2, file.Length - 2)),
        _ => Encoding.UTF8.GetBytes(Windows1252.GetString(file)),
    };

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
