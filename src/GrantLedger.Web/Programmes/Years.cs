using System.Text.RegularExpressions;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>An academic year of a programme, split into six half-terms (Autumn 1 … Summer 2).</summary>
public static partial class Years
{
    public sealed record NewPeriod(string? Code, DateOnly? StartsOn, DateOnly? EndsOn);

    /// <param name="Code">the academic year, "2025-26"</param>
    /// <param name="Periods">the six half-terms; by default 1 Sep-31 Oct, Nov-Dec, Jan-Feb, Mar-Apr, May, Jun-Aug</param>
    public sealed record NewYear([property: MaxText(7, Pattern = YearCodePattern)] string? Code, List<NewPeriod>? Periods);

    public static readonly (string Code, string Name)[] HalfTerms =
        [("aut1", "Autumn 1"), ("aut2", "Autumn 2"), ("spr1", "Spring 1"), ("spr2", "Spring 2"), ("sum1", "Summer 1"), ("sum2", "Summer 2")];

    /// <summary>
    /// A half-term with its year, "Autumn 1 2026-27", as the pages, the lists and the refusals write it: "Autumn 1" alone
    /// could be either year's, in September beside last year's claims.
    /// </summary>
    public static string HalfTerm(string name, string yearCode) => $"{name} {yearCode}";

    /// <summary>A half-term read with its year: what names it (<see cref="HalfTerm"/>) and says whether finance has closed either.</summary>
    public sealed class PeriodInYear
    {
        public required Period Period { get; init; }
        public required long ProgrammeId { get; init; }
        /// <summary>The academic year, "2025-26".</summary>
        public required string YearCode { get; init; }
        public DateTimeOffset? YearClosedAt { get; init; }
        /// <summary>"Autumn 1 2026-27".</summary>
        public string HalfTerm => Years.HalfTerm(Period.Name, YearCode);
    }

    /// <summary>
    /// Every programme's half-terms, each with its year, read without tracking: the one join the pages, the lists and the
    /// refusals compose to name a half-term with its year.
    /// </summary>
    public static IQueryable<PeriodInYear> PeriodsInYears(GrantLedgerDb db) =>
        db.Periods.AsNoTracking().Join(db.ProgrammeYears, p => p.ProgrammeYearId, y => y.Id,
            (p, y) => new PeriodInYear { Period = p, ProgrammeId = y.ProgrammeId, YearCode = y.Code, YearClosedAt = y.ClosedAt });

    public const string YearCodePattern = @"^(\d{4})-(\d{2})$";
    [GeneratedRegex(YearCodePattern + Patterns.AtTheEnd)] private static partial Regex YearCode();

    public static async Task<ProgrammeYear> AddAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewYear r,
        CancellationToken ct)
    {
        await SetUp.RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var startYear = StartYear(r.Code) ?? throw new InvalidInput("code", "must be an academic year such as 2025-26");
        var errors = new FieldErrors();
        var periods = r.Periods is null ? DefaultPeriods(startYear) : ReadPeriods(r.Periods, errors);
        errors.ThrowIfAny();

        var start = new DateOnly(startYear, 9, 1);
        var end = new DateOnly(startYear + 1, 8, 31);
        for (var i = 0; i < periods.Count; i++)
        {
            var p = periods[i];
            if (p.StartsOn > p.EndsOn) errors.Add($"periods[{i}].endsOn", "must not be before startsOn");
            if (p.StartsOn < start || p.EndsOn > end) errors.Add($"periods[{i}]", $"must fall within the academic year {start:d MMM yyyy} to {end:d MMM yyyy}");
            if (i > 0 && p.StartsOn != periods[i - 1].EndsOn.AddDays(1))
                errors.Add($"periods[{i}].startsOn", $"must be the day after {periods[i - 1].Name} ends ({periods[i - 1].EndsOn.AddDays(1):yyyy-MM-dd}): half-terms run on without gaps");
        }
        if (periods.Count == 6 && (periods[0].StartsOn != start || periods[5].EndsOn != end))
            errors.Add("periods", $"must cover the whole year, {start:yyyy-MM-dd} to {end:yyyy-MM-dd}");
        errors.ThrowIfAny();

        if (await db.ProgrammeYears.AnyAsync(y => y.ProgrammeId == programmeId && y.Code == r.Code, ct))
            throw new RuleBroken("year-exists", $"the programme already has the year {r.Code}", 409, "code");
        var year = new ProgrammeYear { ProgrammeId = programmeId, Code = r.Code!, StartsOn = start, EndsOn = end, Periods = periods };
        return await SetUp.SaveWithAuditAsync(db, audit, year, () => (AuditAction.YearCreated, year.Id, programmeId, r), ct);
    }

    /// <summary>The calendar year an academic year's code begins in (2027 for "2027-28"), or null when it is not one.</summary>
    public static int? StartYear(string? code)
    {
        var match = code is null ? null : YearCode().Match(code);
        if (match is not { Success: true }) return null;
        var y = int.Parse(match.Groups[1].Value);
        return (y + 1) % 100 == int.Parse(match.Groups[2].Value) && y < DateOnly.MaxValue.Year ? y : null; // 9999-00 would end in 10000
    }

    /// <summary>The half-terms a year is given when none are sent: what the admin's page offers to change.</summary>
    public static List<Period> DefaultPeriods(int y) =>
    [
        new() { Code = "aut1", Name = "Autumn 1", StartsOn = new(y, 9, 1), EndsOn = new(y, 10, 31) },
        new() { Code = "aut2", Name = "Autumn 2", StartsOn = new(y, 11, 1), EndsOn = new(y, 12, 31) },
        new() { Code = "spr1", Name = "Spring 1", StartsOn = new(y + 1, 1, 1), EndsOn = new DateOnly(y + 1, 3, 1).AddDays(-1) },
        new() { Code = "spr2", Name = "Spring 2", StartsOn = new(y + 1, 3, 1), EndsOn = new(y + 1, 4, 30) },
        new() { Code = "sum1", Name = "Summer 1", StartsOn = new(y + 1, 5, 1), EndsOn = new(y + 1, 5, 31) },
        new() { Code = "sum2", Name = "Summer 2", StartsOn = new(y + 1, 6, 1), EndsOn = new(y + 1, 8, 31) },
    ];

    private static List<Period> ReadPeriods(List<NewPeriod> given, FieldErrors errors)
    {
        if (given.Count != 6) errors.Add("periods", "must list the six half-terms aut1, aut2, spr1, spr2, sum1, sum2 in order");
        var periods = new List<Period>();
        for (var i = 0; i < Math.Min(given.Count, 6); i++)
        {
            var (code, name) = HalfTerms[i];
            if (given[i].Code != code) errors.Add($"periods[{i}].code", $"must be '{code}'");
            if (given[i].StartsOn is null) errors.Add($"periods[{i}].startsOn", "is required");
            if (given[i].EndsOn is null) errors.Add($"periods[{i}].endsOn", "is required");
            periods.Add(new Period { Code = code, Name = name, StartsOn = given[i].StartsOn ?? default, EndsOn = given[i].EndsOn ?? default });
        }
        return periods;
    }

    public static async Task<ProgrammeYear> FindAsync(GrantLedgerDb db, long programmeId, long yearId, CancellationToken ct) =>
        await db.ProgrammeYears.Include(y => y.Periods).AsNoTracking()
            .SingleOrDefaultAsync(y => y.Id == yearId && y.ProgrammeId == programmeId, ct)
        ?? throw new NotFound("programme year", yearId);
}
