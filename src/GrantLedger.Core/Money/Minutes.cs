using System.Globalization;

namespace GrantLedger.Core.Money;

/// <summary>Staff time as integer minutes. A working day is 7.5 hours (450 minutes).</summary>
public readonly record struct Minutes(long Value)
{
    public const int PerHour = 60;
    public const int PerDay = 450;

    public static Minutes FromDays(long days) => new(checked(days * PerDay));
    public static Minutes FromHours(long hours) => new(checked(hours * PerHour));

    public static Minutes operator +(Minutes a, Minutes b) => new(checked(a.Value + b.Value));
    public static Minutes operator -(Minutes a, Minutes b) => new(checked(a.Value - b.Value));

    /// <summary>
    /// Parses a quantity of days or hours with at most two decimal places ("1.5" days) into whole
    /// minutes. The result must be a whole number of minutes: 0.01 hours (36 seconds) is refused.
    /// </summary>
    public static bool TryParseQuantity(string? text, TimeUnit unit, out Minutes minutes, out string? error)
    {
        minutes = default;
        var failure = Hundredths.TryParse(text, allowGrouping: false, out var hundredths);
        error = failure switch
        {
            Hundredths.Failure.None => null,
            Hundredths.Failure.Empty => "enter a number",
            Hundredths.Failure.TooManyPlaces => "must have at most two decimal places",
            Hundredths.Failure.TooLarge => $"must be at most {Hundredths.MostText}",
            _ => "must be a number such as 1.5",
        };
        return error is null && TryFromQuantity(new Quantity(hundredths), unit, out minutes, out error);
    }

    /// <summary>
    /// A quantity of days or hours (to two decimal places) as whole minutes. The result must be a
    /// whole number of minutes: 0.01 hours (36 seconds) is refused.
    /// </summary>
    public static bool TryFromQuantity(Quantity quantity, TimeUnit unit, out Minutes minutes, out string? error)
    {
        minutes = default;
        error = null;
        var hundredths = quantity.Hundredths;
        if (hundredths <= 0)
        {
            error = "must be more than zero";
            return false;
        }
        var perUnit = unit == TimeUnit.Days ? PerDay : PerHour;
        if (hundredths > long.MaxValue / perUnit)
        {
            error = "is too large";
            return false;
        }
        var scaled = hundredths * perUnit;
        if (scaled % 100 != 0)
        {
            error = unit == TimeUnit.Days
                ? "must come to a whole number of minutes (a day is 7.5 hours, or 450 minutes), such as 0.5 or 0.2; for time that does not, enter hours, such as 2.5"
                : "must come to a whole number of minutes, such as 2.5 or 0.25 (0.01 of an hour is 36 seconds)";
            return false;
        }
        minutes = new Minutes(scaled / 100);
        return true;
    }

    /// <summary>
    /// Staff time as people read it, and exactly, so that a reader can check quantity × rate = amount: in days when it is a
    /// whole number of hundredths of a day ("1 day", "2.16 days", "0.5 days"), else in hours ("17.75 hours", "0.1 hours"),
    /// else in hours and minutes ("31 hours 5 minutes"); thousands grouped ("8,400 days", "1,500.5 hours"). Pages and refusals
    /// alike (refusals said "2 days 3 h 45 min").
    /// </summary>
    public override string ToString() => InDays(Value) ?? InHours(Value) ?? InHoursAndMinutes(Value);

    /// <summary>
    /// Staff time for figures read side by side (a table of allowances: allowed, reserved, used, left): each in one unit, the
    /// first of days, hours, and hours and minutes that gives every one of <paramref name="figures"/> exactly, where each
    /// was worded on its own and a row read "61 hours | 0.2 days | 59.5 hours".
    /// </summary>
    public static Func<long, string> InOneUnit(IEnumerable<long> figures)
    {
        var all = figures.ToList();
        return all.All(v => InDays(v) is not null) ? v => InDays(v)!
            : all.All(v => InHours(v) is not null) ? v => InHours(v)!
            : InHoursAndMinutes;
    }

    /// <summary>"1 day", "2.16 days": null when not a whole number of hundredths of a day.</summary>
    private static string? InDays(long value)
    {
        var v = Math.Abs(value);
        return v * 100 % PerDay != 0 ? null : Sign(value) + (v == PerDay ? "1 day" : $"{Number(v / (decimal)PerDay)} days");
    }

    /// <summary>"17.75 hours": null when not a whole number of hundredths of an hour (0.01 hours is 0.6 minutes).</summary>
    private static string? InHours(long value)
    {
        var v = Math.Abs(value);
        return v % 3 != 0 ? null : Sign(value) + $"{Number(v / (decimal)PerHour)} {(v == PerHour ? "hour" : "hours")}";
    }

    /// <summary>"31 hours 5 minutes".</summary>
    private static string InHoursAndMinutes(long value)
    {
        var (hours, rest) = (Math.Abs(value) / PerHour, Math.Abs(value) % PerHour);
        return Sign(value) + (hours == 0 ? "" : $"{hours:#,0} {(hours == 1 ? "hour" : "hours")} ") + $"{rest} {(rest == 1 ? "minute" : "minutes")}";
    }

    private static string Sign(long value) => value < 0 ? "-" : "";

    /// <summary>With its thousands grouped, as money is: "8,400 days" beside "£13,000,000.00", where it read "8400 days".</summary>
    private static string Number(decimal value) => value.ToString("#,0.##", CultureInfo.InvariantCulture);
}

public enum TimeUnit { Hours, Days }
