using System.Text.RegularExpressions;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.RateCards;

/// <summary>A rate of a programme's rate card, in force from its date until a later rate of the same code.</summary>
public sealed class Rate
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    /// <summary>day (7.5 hours), hour, or period (a sum per half-term).</summary>
    public required string Basis { get; set; }
    public long AmountPence { get; set; }
    public DateOnly EffectiveFrom { get; set; }
    public long? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed record RateView(long Id, string Code, string Name, string Basis, Money Amount, DateOnly EffectiveFrom,
    DateOnly? EffectiveTo, bool InForce, long? CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// Effective-dated rates per programme (teacher cover per day, support staff per hour, a TLR3 sum
/// per half-term, specialist per day …). Rates are never changed: a new rate takes over from its
/// date. A line is priced by the rate in force on its date: a new rate reprices the draft claims'
/// lines it covers as it is recorded, and submission prices every line again by the rate in force
/// on its date; a submitted claim keeps the price it was submitted at, so a later rate never alters it.
/// </summary>
public static partial class RateCards
{
    public sealed record NewRate([property: MaxText(40, Pattern = RateCodePattern)] string? Code, [property: MaxText(MostName)] string? Name,
        [property: OneOf(typeof(Pricing), nameof(Pricing.Bases))] string? Basis, Money? Amount, DateOnly? EffectiveFrom);

    public const int MostName = 200;

    public const string RateCodePattern = "^[a-z][a-z0-9-]{1,39}$";
    [GeneratedRegex(RateCodePattern + Patterns.AtTheEnd)] private static partial Regex CodePattern();

    /// <summary>The rate of this code in force on the date: the latest that took effect on or before it.</summary>
    public static Task<Rate?> InForceAsync(GrantLedgerDb db, long programmeId, string code, DateOnly date, CancellationToken ct) =>
        db.Set<Rate>().AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.Code == code && r.EffectiveFrom <= date)
            .OrderByDescending(r => r.EffectiveFrom).FirstOrDefaultAsync(ct);

    /// <summary>The whole card, each rate with the date the next rate of its code takes over, and whether it is in force on <paramref name="on"/>.</summary>
    public static async Task<IReadOnlyList<RateView>> CardAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, DateOnly on, CancellationToken ct)
    {
        await SetUp.ProgrammeVisibleAsync(db, caller, programmeId, ct);
        var rates = await db.Set<Rate>().AsNoTracking().Where(r => r.ProgrammeId == programmeId)
            .OrderBy(r => r.Code).ThenBy(r => r.EffectiveFrom).ToListAsync(ct);
        return rates.GroupBy(r => r.Code).SelectMany(g =>
        {
            var list = g.ToList();
            return list.Select((r, i) =>
            {
                DateOnly? to = i + 1 < list.Count ? list[i + 1].EffectiveFrom.AddDays(-1) : null;
                return new RateView(r.Id, r.Code, r.Name, r.Basis, new Money(r.AmountPence), r.EffectiveFrom, to,
                    r.EffectiveFrom <= on && (to is null || on <= to), r.CreatedBy, r.CreatedAt);
            });
        }).ToList();
    }

    public static async Task<Rate> AddAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewRate r, CancellationToken ct)
    {
        await SetUp.RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var errors = new FieldErrors();
        var code = r.Code?.Trim();
        if (code is null || !CodePattern().IsMatch(code)) errors.Add("code", "must be 2-40 lower-case letters, digits or hyphens, starting with a letter (e.g. teacher-cover-day)");
        var name = errors.Text("name", r.Name, MostName);
        if (r.Basis is null || !Pricing.Bases.Contains(r.Basis)) errors.Add("basis", $"must be one of {string.Join(", ", Pricing.Bases)}");
        if (r.Amount is not { IsPositive: true }) errors.Add("amount", "must be more than zero");
        if (r.EffectiveFrom is null) errors.Add("effectiveFrom", "is required: the first date the rate applies to");
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            // One change to a programme's card at a time, so the checks below see every earlier rate.
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext('rate'), {(int)programmeId})", ct);
            var same = await db.Set<Rate>().AsNoTracking().Where(x => x.ProgrammeId == programmeId && x.Code == code).ToListAsync(ct);
            if (same.FirstOrDefault(x => x.Basis != r.Basis) is { } other)
                throw new InvalidInput("basis", $"'{code}' is priced per {other.Basis}: a new rate of the same code keeps its basis (or use a new code)");
            if (same.Any(x => x.EffectiveFrom == r.EffectiveFrom))
                throw new RuleBroken("rate-exists", $"a '{code}' rate already takes effect on {r.EffectiveFrom:yyyy-MM-dd}: rates are never changed; add one from another date",
                    409, "effectiveFrom");
            var closed = await Years.PeriodsInYears(db).FirstOrDefaultAsync(h => h.ProgrammeId == programmeId && h.Period.ClosedAt != null
                && h.Period.StartsOn <= r.EffectiveFrom && h.Period.EndsOn >= r.EffectiveFrom, ct);
            if (closed is not null)
                throw new RuleBroken("period-closed", $"{r.EffectiveFrom:yyyy-MM-dd} falls in {closed.HalfTerm}, which is closed: a rate cannot take effect in a closed period",
                    409, "effectiveFrom", new Dictionary<string, object?>
                    {
                        ["effectiveFrom"] = $"{r.EffectiveFrom:yyyy-MM-dd}", ["year"] = closed.YearCode, ["period"] = closed.Period.Name,
                    });

            var rate = new Rate
            {
                ProgrammeId = programmeId, Code = code!, Name = name!, Basis = r.Basis!, AmountPence = r.Amount!.Value.Pence,
                EffectiveFrom = r.EffectiveFrom!.Value, CreatedBy = caller.Id,
            };
            db.Add(rate);
            await db.SaveChangesAsync(ct);
            var repriced = await RepriceDraftsAsync(db, rate, ct);
            audit.Record(AuditAction.RateAdded, rate.Id, programmeId,
                new { rate.Code, rate.Name, rate.Basis, amount = r.Amount.Value.ToDecimalString(), rate.EffectiveFrom, repriced });
            await db.SaveChangesAsync(ct);
            return rate;
        }, ct);
    }
}

public static partial class RateCards
{
    /// <summary>
    /// Reprices the draft claims' lines the new rate now prices: those of its code dated on or after its date that were priced
    /// by an earlier rate (a later one still prices the lines from its own date). Each draft changed is locked first, in id
    /// order, and its version moves on, so an edit made on the old prices is told the draft changed. Claims that have left
    /// draft keep the price they were submitted at.
    /// </summary>
    /// <returns>what was repriced, for the rate's audit event</returns>
    private static async Task<List<object>> RepriceDraftsAsync(GrantLedgerDb db, Rate rate, CancellationToken ct)
    {
        var claimIds = await db.Database.SqlQuery<long>($"""
            SELECT c.id AS "Value" FROM claim c
             WHERE c.programme_id = {rate.ProgrammeId} AND c.state = 'draft'
               AND EXISTS (SELECT 1 FROM claim_line l JOIN rate r0 ON r0.id = l.rate_id
                            WHERE l.claim_id = c.id AND r0.code = {rate.Code} AND r0.effective_from < {rate.EffectiveFrom}
                              AND l.work_date >= {rate.EffectiveFrom})
             ORDER BY c.id FOR UPDATE OF c
            """).ToListAsync(ct);
        if (claimIds.Count == 0) return [];
        // locked: only those still drafts (one submitted meanwhile keeps its price)
        var drafts = await db.Set<Claims.Claim>().Where(c => claimIds.Contains(c.Id) && c.State == "draft").ToListAsync(ct);
        var draftIds = drafts.Select(c => c.Id).ToList();
        var lines = await db.Set<Claims.ClaimLine>()
            .Where(l => draftIds.Contains(l.ClaimId) && l.WorkDate >= rate.EffectiveFrom
                        && db.Set<Rate>().Any(r0 => r0.Id == l.RateId && r0.Code == rate.Code && r0.EffectiveFrom < rate.EffectiveFrom))
            .ToListAsync(ct);
        var repriced = new List<object>();
        var now = await db.NowAsync(ct); // the time of the rate's audit event, which names them
        foreach (var line in lines.OrderBy(l => l.ClaimId).ThenBy(l => l.LineNo))
        {
            var was = line.AmountPence;
            if (!line.PriceBy(rate.Id, rate.AmountPence, rate.Basis)) // nothing is written: the rate is refused with it
                throw new InvalidInput("amount", $"would price line {line.LineNo} of draft claim {Claims.ClaimAccess.Reference(line.ClaimId)} " +
                    $"at more than the most a line may cost (£{Hundredths.MostText}.00)");
            repriced.Add(new { claimId = line.ClaimId, line.LineNo, from = new Money(was).ToDecimalString(), to = new Money(line.AmountPence).ToDecimalString() });
        }
        // each line within the most it may cost can still take its claim's total past the most a claim can be, as adding a
        // line cannot (LineEditing); the lines are read tracked, so the repriced ones are counted at their new price
        var changed = lines.Select(l => l.ClaimId).Distinct().ToList();
        var all = await db.Set<Claims.ClaimLine>().Where(l => changed.Contains(l.ClaimId)).ToListAsync(ct);
        foreach (var claim in all.GroupBy(l => l.ClaimId).OrderBy(g => g.Key))
            if (Claims.ClaimTotals.PastTheMost(claim) is { } total)
                throw new InvalidInput("amount", $"would take draft claim {Claims.ClaimAccess.Reference(claim.Key)}'s total to {total}, " +
                    $"past the most a claim can be (£{Hundredths.MostText}.00)");
        foreach (var claim in drafts.Where(c => lines.Any(l => l.ClaimId == c.Id))) claim.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return repriced;
    }
}

public sealed class RateConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<Rate>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<Rate> b) => b.ToTable("rate");
}
