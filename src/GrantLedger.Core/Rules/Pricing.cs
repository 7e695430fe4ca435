using GrantLedger.Core.Money;

namespace GrantLedger.Core.Rules;

/// <summary>
/// Prices a claim line from a rate-card rate: a day rate by the fraction of a 7.5-hour day, an hour
/// rate by the fraction of an hour, a period rate (a TLR3 sum for the half-term) as it stands.
/// Fractions of a penny round half up, once, at the end: integer arithmetic only.
/// </summary>
public static class Pricing
{
    public static readonly string[] Bases = ["day", "hour", "period"];

    public static long Price(string basis, long ratePence, long minutes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ratePence);
        ArgumentOutOfRangeException.ThrowIfNegative(minutes);
        return basis switch
        {
            "day" => DivideHalfUp(checked(ratePence * minutes), Minutes.PerDay),
            "hour" => DivideHalfUp(checked(ratePence * minutes), Minutes.PerHour),
            "period" => ratePence,
            _ => throw new ArgumentException($"unknown rate basis '{basis}': one of {string.Join(", ", Bases)}", nameof(basis)),
        };
    }

    /// <summary>n / d rounded half up, for n ≥ 0 and d &gt; 0.</summary>
    public static long DivideHalfUp(long n, long d) => (n / d) + ((n % d) * 2 >= d ? 1 : 0);
}
