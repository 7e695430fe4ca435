using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Allocations;

/// <summary>An amount in either unit, as the API takes it: "amount" in pounds, or "minutes" of staff time.</summary>
public sealed record Quantity(Money? Amount, long? Minutes)
{
    /// <summary>The integer amount in the category's unit, or a field error.</summary>
    /// <param name="field">the prefix of the fields, such as "lines[3]." or ""</param>
    public long Read(Unit unit, string field, FieldErrors errors, bool allowZero = false)
    {
        if (Amount is not null && Minutes is not null)
        {
            errors.Add($"{field}minutes", "give either amount (pounds) or minutes, not both");
            return 0;
        }
        long value;
        if (unit == Unit.Gbp)
        {
            if (Amount is null)
            {
                errors.Add($"{field}amount", Minutes is null ? "is required" : "this is a money category: give amount in pounds, not minutes");
                return 0;
            }
            value = Amount.Value.Pence;
        }
        else
        {
            if (Minutes is null)
            {
                errors.Add($"{field}minutes", Amount is null ? "is required" : "this is a staff-time category: give minutes, not an amount");
                return 0;
            }
            value = Minutes.Value;
        }
        var name = $"{field}{(unit == Unit.Gbp ? "amount" : "minutes")}";
        if (value < 0 || (value == 0 && !allowZero)) errors.Add(name, "must be more than zero");
        else if (unit != Unit.Gbp && value > Core.Money.Hundredths.Most) // minutes come as a JSON integer, past the money parser's limit
            errors.Add(name, $"must be at most {Gov.Number(Core.Money.Hundredths.Most)}");
        return value;
    }
}

/// <summary>A programme year and what the budget use cases need to know of it.</summary>
public sealed record BudgetYear(Programme Programme, ProgrammeYear Year)
{
    public ProgrammeRef ProgrammeRef => new(Programme.Id, Programme.Code);
    public YearRef YearRef => new(Year.Id, Year.Code);

    public static async Task<BudgetYear> LoadForAdminAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, long yearId, CancellationToken ct)
    {
        var programme = await SetUp.RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        return new BudgetYear(programme, await Years.FindAsync(db, programmeId, yearId, ct));
    }

    /// <summary>
    /// The given value date, which must fall in the year and be today or earlier (<see cref="NotInTheFuture"/>: budget
    /// posted for a later date could be claimed before it, leaving the account overdrawn as of every day until then).
    /// None given: today while the year runs, its last day once it has ended (not its first: that backdated the budget
    /// silently), its first day before it begins (refused: in the future). A date not given that falls in a closed year or
    /// half-term is refused saying so, not naming a date the caller never sent as if they had (409 period-closed).
    /// </summary>
    /// <param name="why">what the date is for, as a refusal of a future date says it</param>
    public DateOnly ValueDate(DateOnly? given, FieldErrors errors, string why) => ValueDate(Year, given, errors, why);

    /// <summary>The date an entry of the year sent without one takes: today while the year runs, its last day once it has ended.</summary>
    public static DateOnly DateWhenNotGiven(ProgrammeYear year, DateOnly today) =>
        today < year.StartsOn ? year.StartsOn : today > year.EndsOn ? year.EndsOn : today;

    /// <summary><see cref="ValueDate(DateOnly?, FieldErrors, string)"/> of an entry moving money in <paramref name="year"/>
    /// (with its half-terms), as a reversal of one of its entries does too.</summary>
    public static DateOnly ValueDate(ProgrammeYear year, DateOnly? given, FieldErrors errors, string why)
    {
        var today = UkTime.Today;
        var date = given ?? DateWhenNotGiven(year, today);
        if (given is null && (year.ClosedAt is not null ? "that year"
                : year.Periods.FirstOrDefault(p => p.StartsOn <= date && date <= p.EndsOn && p.ClosedAt is not null) is { } period ? $"that half-term ({Years.HalfTerm(period.Name, year.Code)})"
                : null) is { } closed)
            throw new RuleBroken("period-closed",
                $"This was sent without a valueDate, it would be dated {Closes.Long(date)}, and {closed} is closed: nothing more can be posted in it.",
                409, "valueDate", new Dictionary<string, object?> { ["wouldBeDated"] = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) });
        if (date < year.StartsOn || date > year.EndsOn)
            errors.Add("valueDate", $"must fall within {year.Code}, {year.StartsOn:d MMMM yyyy} to {year.EndsOn:d MMMM yyyy}");
        else if (NotInTheFuture.Refusal(date, today, why) is { } future)
            errors.Add("valueDate", given is null ? $"{future}; {year.Code} begins on {year.StartsOn:d MMMM yyyy}" : future);
        return date;
    }

    public static CategoryRef Ref(BudgetCategory c) => new(c.Id, c.Code, c.Name, Units.Parse(c.Unit));
    public static SchoolRef Ref(School s) => new(s.Id, s.Urn, s.Name);

    public async Task<Dictionary<long, BudgetCategory>> CategoriesAsync(GrantLedgerDb db, CancellationToken ct) =>
        await db.CategoriesOf(Programme.Id).ToDictionaryAsync(c => c.Id, ct);
}

public static class Amounts
{
    /// <summary>An integer amount at the API edge: pounds with two places, or whole minutes.</summary>
    public static string Format(Unit unit, long value) => unit == Unit.Gbp ? new Money(value).ToDecimalString() : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Format(string unit, long value) => Format(Units.Parse(unit), value);
}
