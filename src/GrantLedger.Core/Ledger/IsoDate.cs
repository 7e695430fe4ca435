using System.Globalization;

namespace GrantLedger.Core.Ledger;

/// <summary>
/// A date written as the API, the CSVs and the query strings write it: YYYY-MM-DD, in the Gregorian calendar whatever the
/// server's culture (a culture with another calendar would read "2026-10-05" as another day). One reading for every
/// place that takes such a date.
/// </summary>
public static class IsoDate
{
    public const string Format = "yyyy-MM-dd";

    public static bool TryParse(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>The date, or null when <paramref name="text"/> is none or not a date that exists.</summary>
    public static DateOnly? Parse(string? text) => TryParse(text, out var date) ? date : null;

    public static string Of(DateOnly date) => date.ToString(Format, CultureInfo.InvariantCulture);
}
