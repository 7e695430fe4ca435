namespace GrantLedger.Core.Money;

/// <summary>
/// Reads a decimal string with at most two places as an integer count of hundredths, digit by
/// digit, so that "1234.5" is exactly 123450 and no binary floating point is involved.
/// Money (pence) and staff-time quantities (days or hours to two places) both read through here.
/// </summary>
public static class Hundredths
{
    public enum Failure { None, Empty, NotANumber, TooManyPlaces, BadGrouping, TooLarge }

    /// <summary>
    /// The largest amount read, either side of zero: 10,000,000,000.00 (ten billion pounds, or days, or hours). Far above
    /// any programme's funding, and far enough below what a long holds that no sum of what people can type overflows it
    /// (nine lines of £92 quadrillion each once made every page of their programme's claims fail).
    /// </summary>
    public const long Most = 1_000_000_000_000;

    /// <summary><see cref="Most"/> as people read it.</summary>
    public const string MostText = "10,000,000,000";

    /// <param name="allowGrouping">accept "1,234.50" and a leading "£", as people type into a form</param>
    /// <param name="most">the largest value read: <see cref="Most"/> for what people type; more for sums the service wrote</param>
    public static Failure TryParse(string? text, bool allowGrouping, out long value, long most = Most)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return Failure.Empty;

        var s = text.Trim();
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (allowGrouping && s.StartsWith('£')) s = s[1..];

        var point = s.IndexOf('.');
        var whole = point < 0 ? s : s[..point];
        var fraction = point < 0 ? "" : s[(point + 1)..];

        if (allowGrouping && whole.Contains(','))
        {
            var groups = whole.Split(',');
            if (groups[0].Length is < 1 or > 3 || groups.Skip(1).Any(g => g.Length != 3)) return Failure.BadGrouping;
            whole = whole.Replace(",", "");
        }

        if (whole.Length == 0 || (point >= 0 && fraction.Length == 0)
            || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
            return Failure.NotANumber;
        if (fraction.Length > 2) return Failure.TooManyPlaces;

        try
        {
            long v = 0;
            foreach (var c in whole) v = checked(v * 10 + (c - '0'));
            var f = fraction.Length switch
            {
                0 => 0,
                1 => (fraction[0] - '0') * 10,
                _ => (fraction[0] - '0') * 10 + (fraction[1] - '0'),
            };
            v = checked(v * 100 + f);
            if (v > most) return Failure.TooLarge;
            value = negative ? -v : v;
            return Failure.None;
        }
        catch (OverflowException)
        {
            return Failure.TooLarge;
        }
    }
}

/// <summary>A decimal quantity with at most two places (1.5 days, 7.25 hours), held exactly as hundredths.</summary>
public readonly record struct Quantity(long Hundredths)
{
    public static bool TryParse(string? text, out Quantity quantity)
    {
        var ok = global::GrantLedger.Core.Money.Hundredths.TryParse(text, false, out var value) == global::GrantLedger.Core.Money.Hundredths.Failure.None;
        quantity = new Quantity(value);
        return ok;
    }

    public static Quantity Parse(string text) =>
        TryParse(text, out var q) ? q : throw new FormatException($"'{text}' is not a quantity with at most two decimal places");

    /// <summary>"1.5", "7.25", "3": the JSON number it came from.</summary>
    public override string ToString()
    {
        var text = new Money(Hundredths).ToDecimalString();
        return text.EndsWith(".00") ? text[..^3] : text.EndsWith('0') ? text[..^1] : text;
    }
}
