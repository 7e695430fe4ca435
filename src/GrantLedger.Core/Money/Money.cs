using System.Globalization;

namespace GrantLedger.Core.Money;

/// <summary>
/// An amount of sterling held as integer pence. Parsing and formatting work on the digits
/// themselves, so no binary floating point is ever involved.
/// </summary>
public readonly record struct Money(long Pence) : IComparable<Money>
{
    public static readonly Money Zero = new(0);

    public static Money FromPounds(long pounds) => new(checked(pounds * 100));

    public static Money operator +(Money a, Money b) => new(checked(a.Pence + b.Pence));
    public static Money operator -(Money a, Money b) => new(checked(a.Pence - b.Pence));
    public static Money operator -(Money a) => new(checked(-a.Pence));
    public static bool operator <(Money a, Money b) => a.Pence < b.Pence;
    public static bool operator >(Money a, Money b) => a.Pence > b.Pence;
    public static bool operator <=(Money a, Money b) => a.Pence <= b.Pence;
    public static bool operator >=(Money a, Money b) => a.Pence >= b.Pence;

    public int CompareTo(Money other) => Pence.CompareTo(other.Pence);

    public bool IsPositive => Pence > 0;

    /// <summary>
    /// Parses "1234", "1234.5", "1234.50", "-3.20", and, when <paramref name="allowGrouping"/>
    /// is set (people typing into a form), "1,234.50" and a leading "£".
    /// More than two decimal places, exponents, spaces inside the number or an
    /// amount beyond ±£10 billion (<see cref="Hundredths.Most"/>) are refused.
    /// </summary>
    public static bool TryParse(string? text, out Money money, out string? error, bool allowGrouping = false)
    {
        var failure = Hundredths.TryParse(text, allowGrouping, out var pence);
        money = new Money(pence);
        error = failure switch
        {
            Hundredths.Failure.None => null,
            Hundredths.Failure.Empty => "enter an amount",
            Hundredths.Failure.TooManyPlaces => "must have at most two decimal places (whole pence)",
            Hundredths.Failure.BadGrouping => "must have commas only between groups of three digits, as in 1,234.50",
            Hundredths.Failure.TooLarge => $"must be at most {Hundredths.MostText}.00",
            _ => "must be an amount in pounds such as 1234.50",
        };
        return failure == Hundredths.Failure.None;
    }

    public static Money Parse(string text, bool allowGrouping = false) =>
        TryParse(text, out var money, out var error, allowGrouping)
            ? money
            : throw new FormatException($"'{text}' {error}");

    /// <summary>
    /// Reads back an amount the service wrote as <see cref="ToDecimalString"/>, of any size a long holds: a sum of amounts
    /// (a claim's total, a budget's use) may pass the most one amount can be, and a page that showed it answered 500.
    /// </summary>
    public static Money FromDecimalString(string text) =>
        Hundredths.TryParse(text, false, out var pence, long.MaxValue) == Hundredths.Failure.None
            ? new Money(pence)
            : throw new FormatException($"'{text}' is not an amount this service writes");

    /// <summary>The plain decimal string used at the API edge: "1234.50", "-0.05".</summary>
    public string ToDecimalString()
    {
        // one allocation: exports write millions of these
        Span<char> text = stackalloc char[24];
        var negative = Pence < 0;
        var abs = negative ? unchecked((ulong)(-(Pence + 1)) + 1) : (ulong)Pence; // long.MinValue has no positive long
        var at = 0;
        if (negative) text[at++] = '-';
        (abs / 100).TryFormat(text[at..], out var written, default, CultureInfo.InvariantCulture);
        at += written;
        text[at++] = '.';
        text[at++] = (char)('0' + abs % 100 / 10);
        text[at++] = (char)('0' + abs % 10);
        return new string(text[..at]);
    }

    /// <summary>How people read money: "£1,234.50", "-£3.20".</summary>
    public override string ToString() => Format("#,0", "£");

    private string Format(string poundsFormat, string symbol = "")
    {
        var abs = Int128.Abs(Pence); // Int128: long.MinValue has no positive long
        var pounds = (abs / 100).ToString(poundsFormat, CultureInfo.InvariantCulture);
        var pence = (abs % 100).ToString("00", CultureInfo.InvariantCulture);
        return $"{(Pence < 0 ? "-" : "")}{symbol}{pounds}.{pence}";
    }
}
