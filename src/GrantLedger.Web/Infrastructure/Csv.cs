namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Fields of the CSV the service writes: by hand (payment files, auditors' query results) and through CsvHelper
/// (the exports' tables, which pass each value through <see cref="FormulaSafe"/>).
/// </summary>
public static class Csv
{
    /// <summary>
    /// UTF-8's byte order mark, which a page's CSV download starts with: a spreadsheet opened by a double click (Excel's
    /// habit) reads a file without it in the machine's old code page, so "approved £200.00" showed as "approved Â£200.00"
    /// and an accent in a school's name as two letters. The API's CSV answers are for programs and go without it; the
    /// payment file keeps the exact bytes the finance system takes.
    /// </summary>
    public static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>A CSV file as a page's download gives it: <see cref="ByteOrderMark"/>, then the file.</summary>
    public static byte[] ForSpreadsheets(byte[] csv) => [.. ByteOrderMark, .. csv];

    /// <summary>
    /// RFC 4180: quoted when it holds a comma, quote or line break, or starts or ends with a space, or starts
    /// with '#' (so a value is never read as a comment line); quotes inside are doubled. Made
    /// <see cref="FormulaSafe"/> first.
    /// </summary>
    public static string Field(string? value)
    {
        value = FormulaSafe(value);
        if (string.IsNullOrEmpty(value)) return "";
        var quote = value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || value[0] == ' ' || value[^1] == ' ' || value[0] == '#';
        return quote ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>
    /// A value that a spreadsheet would run as a formula when the file is opened gets an apostrophe before it
    /// (CSV injection, CWE-1236): one that starts with '=', '+', '-', '@', a tab or a carriage return, unless it is a
    /// plain number such as "-12.50" or "-225", which a spreadsheet reads as the number it is. Text typed by a school
    /// (a line's description, a supplier, a theme), a school's name from an import, or a reason given by a reviewer
    /// reaches finance's and auditors' spreadsheets through these files; "=HYPERLINK(…)" or "@SUM(…)" there would
    /// otherwise run on their machines. The apostrophe shows in the cell, and the text after it is the value as stored.
    /// </summary>
    public static string? FormulaSafe(string? value) =>
        string.IsNullOrEmpty(value) || value[0] is not ('=' or '+' or '-' or '@' or '\t' or '\r') || IsPlainNumber(value)
            ? value
            : "'" + value;

    /// <summary>
    /// What is wrong with a value the payment file must carry exactly as it is kept (a payee's reference and name), or null:
    /// one beginning with '=', '+', '-' or '@' would be written with an apostrophe before it (<see cref="FormulaSafe"/>), so
    /// the funder's finance system would read a value that is not the school's.
    /// </summary>
    public static string? WrittenAsAFormula(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@'
            ? $"must not begin with {value[0]}: a spreadsheet would read it as a formula, and the payment file could not carry it as it is"
            : null;

    /// <summary>An optional sign, digits, and optionally a point and more digits: nothing a spreadsheet could run.</summary>
    private static bool IsPlainNumber(string value)
    {
        var i = value[0] is '+' or '-' ? 1 : 0;
        var (digits, point) = (0, false);
        for (; i < value.Length; i++)
        {
            if (char.IsAsciiDigit(value[i])) digits++;
            else if (value[i] == '.' && !point && digits > 0) (point, digits) = (true, 0);
            else return false;
        }
        return digits > 0;
    }
}
