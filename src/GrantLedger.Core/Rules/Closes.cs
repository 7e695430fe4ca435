using System.Globalization;

namespace GrantLedger.Core.Rules;

/// <summary>
/// A half-term or a year is closed only once its last day has passed in the UK. Closed sooner, a half-term would
/// refuse the postings of the days it has left, and a year would lapse or carry forward budgets its schools may
/// still spend, by an entry dated its last day that cannot be undone.
/// </summary>
public static class Closes
{
    /// <summary>The first day on which a half-term or year that ends on <paramref name="endsOn"/> can be closed.</summary>
    public static DateOnly From(DateOnly endsOn) => endsOn.AddDays(1);

    public static bool Ended(DateOnly endsOn, DateOnly today) => today >= From(endsOn);

    /// <summary>Refuses (409, <paramref name="rule"/>) closing what has not ended, saying from which day it can be.</summary>
    /// <param name="rule">period-not-ended or year-not-ended</param>
    /// <param name="what">e.g. "Autumn 1 2026-27"</param>
    public static void EnsureEnded(string rule, string what, DateOnly endsOn, DateOnly today)
    {
        if (Ended(endsOn, today)) return;
        var from = From(endsOn);
        throw new RuleBroken(rule,
            $"{what} has not ended: it ends on {Long(endsOn)} and can be closed from {Long(from)}.", 409,
            details: new Dictionary<string, object?> { ["endsOn"] = Iso(endsOn), ["closableFrom"] = Iso(from) });
    }

    public static string Long(DateOnly date) => date.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
