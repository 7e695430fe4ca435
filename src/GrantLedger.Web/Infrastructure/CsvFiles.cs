using CsvHelper;
using GrantLedger.Core.Rules;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// The CSV files people send (a claim's lines, schools from "Get Information About Schools", the finance system's
/// payment confirmations), read one way: RFC 4180, comma-separated, cells trimmed, line numbers kept for the answer.
/// A file that is not text a row of the database can hold is refused as the field "file", naming its line, before
/// anything is made of it: a record longer than its import allows, or a NUL character (PostgreSQL's text cannot hold
/// one; JSON bodies and queries are refused for it too).
/// </summary>
public static class CsvFiles
{
    public static CsvReader Open(Stream csv, int maxRecordBytes) => CsvReader.Create(csv, new CsvReaderOptions
    {
        Separator = ',', TrimWhitespace = true, TrackLineNumbers = true, MaxRecordSize = maxRecordBytes,
    }, leaveOpen: true);

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
