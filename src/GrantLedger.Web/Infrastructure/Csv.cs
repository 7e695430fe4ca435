namespace GrantLedger.Web.Infrastructure;

/// <summary>RFC 4180 fields for the CSV the service writes by hand (payment files, auditors' query results).</summary>
public static class Csv
{
    /// <summary>
    /// Quoted when it holds a comma, quote or line break, or starts or ends with a space, or starts
    /// with '#' (so a value is never read as a comment line); quotes inside are doubled.
    /// </summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var quote = value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || value[0] == ' ' || value[^1] == ' ' || value[0] == '#';
        return quote ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
