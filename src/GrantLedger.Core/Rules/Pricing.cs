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

    /// <summary>
    /// The most one line may cost: the most any amount can be (<see cref="Hundredths.Most"/>, £10,000,000,000.00), so
    /// that a priced line is an amount like any other, as an action-plan line's invoice amount is.
    /// </summary>
    public const long MostPence = Hundredths.Most;

    /// <summary>The line's price, or false when it would cost more than <see cref="MostPence"/>; never an overflow, whatever the rate and time.</summary>
    public static bool TryPrice(string basis, long ratePence, long minutes, out long pence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ratePence);
        ArgumentOutOfRangeException.ThrowIfNegative(minutes);
        // a long by a long fits an Int128 with room: a £10bn rate by 30,000 days overflowed a long (a 500)
        var exact = basis switch
        {
            "day" => DivideHalfUp((Int128)ratePence * minutes, Minutes.PerDay),
            "hour" => DivideHalfUp((Int128)ratePence * minutes, Minutes.PerHour),
            "period" => ratePence,
            _ => throw new ArgumentException($"unknown rate basis '{basis}': one of {string.Join(", ", Bases)}", nameof(basis)),
        };
        pence = exact <= MostPence ? (long)exact : 0;
        return exact <= MostPence;
    }

    /// <summary>The line's price, for one known to cost at most <see cref="MostPence"/> (<see cref="TryPrice"/> otherwise).</summary>
    public static long Price(string basis, long ratePence, long minutes) => TryPrice(basis, ratePence, minutes, out var pence) ? pence
        : throw new ArgumentOutOfRangeException(nameof(minutes), $"{minutes} minutes at {ratePence}p {Per(basis) ?? basis} cost more than the most a line may cost");

    /// <summary>
    /// What a rate of this basis is for, after its amount ("£250.00 a day of 7.5 hours", "£18.00 an hour", "£300.00 a
    /// half-term", a TLR's period), as the pages and the refusals say it; null for a basis not known.
    /// </summary>
    public static string? Per(string? basis) => basis switch
    {
        "day" => "a day of 7.5 hours",
        "hour" => "an hour",
        "period" => "a half-term",
        _ => null,
    };

    /// <summary>n / d rounded half up, for n ≥ 0 and d &gt; 0.</summary>
    public static Int128 DivideHalfUp(Int128 n, Int128 d) => (n / d) + ((n % d) * 2 >= d ? 1 : 0);
}
