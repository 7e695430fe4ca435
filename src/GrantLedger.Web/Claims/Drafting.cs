using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>Starting a claim for a half-term, changing its description or period while it is a draft, and discarding a draft.</summary>
public static class Drafting
{
    public sealed record NewClaim(long? SchoolId, long? PeriodId, [property: MaxText(MostDescription)] string? Description);
    public sealed record ClaimChange(long? PeriodId, [property: MaxText(MostDescription)] string? Description);

    public const int MostDescription = 1000;

    private static readonly string Tlr = Core.Workflow.Kebab.Of(Core.Claims.ClaimLineKind.Tlr);

    /// <summary>The one role that starts claims: a claim's history names its creator in it, as it names each step's actor in theirs.</summary>
    public const string StartedBy = Roles.SchoolBusinessManager;

    public static async Task<Claim> StartAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, NewClaim r, CancellationToken ct)
    {
        if (caller.Role != StartedBy) throw new Forbidden("claims are started by the school's business manager");
        var schoolId = r.SchoolId ?? caller.SchoolId!.Value;
        var school = await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId, ct) ?? throw new NotFound("school", schoolId);
        caller.EnsureSchool(school);
        var errors = new FieldErrors();
        var description = errors.Text("description", r.Description, MostDescription, required: false, manyLines: true);
        var found = await PeriodAsync(db, school.ProgrammeId, r.PeriodId, errors, ct);
        errors.ThrowIfAny();
        var (period, yearCode) = found!.Value;
        EnsureOpen(period, yearCode, "no claim can be started for it");

        var claim = new Claim
        {
            ProgrammeId = school.ProgrammeId, ProgrammeYearId = period.ProgrammeYearId, PeriodId = period.Id, SchoolId = school.Id,
            Description = description ?? "", CreatedBy = caller.Id,
        };
        return await db.InTransactionAsync(async () =>
        {
            db.Add(claim);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ClaimStarted, claim.Id, claim.ProgrammeId, new { school = school.Urn, period = period.Code, claim.Description });
            await db.SaveChangesAsync(ct);
            return claim;
        }, ct);
    }

    public static async Task<Claim> ChangeAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, ClaimChange r,
        string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            var errors = new FieldErrors();
            var description = errors.Text("description", r.Description, MostDescription, required: false, manyLines: true);
            List<ClaimLine> redated = [];
            if (r.PeriodId is not null)
            {
                var period = (await PeriodAsync(db, c.Claim.ProgrammeId, r.PeriodId, errors, ct))?.Period;
                if (period is not null && period.ProgrammeYearId != c.Claim.ProgrammeYearId)
                    errors.Add("periodId", "must be a half-term of the same year as the claim's lines");
                // a TLR is the half-term's sum, dated its first day by the service: it moves with the claim (below)
                var tlrs = c.Claim.Lines.Where(l => l.Kind == Tlr).OrderBy(l => l.LineNo).ToList();
                var outside = period is null ? [] : c.Claim.Lines.Where(l => l.Kind != Tlr && l.WorkDate is { } d && (d < period.StartsOn || d > period.EndsOn))
                    .OrderBy(l => l.LineNo).Select(l => l.LineNo).ToList();
                if (period is not null && outside.Count > 0)
                    errors.Add("periodId", $"{(outside.Count == 1 ? "line" : "lines")} {string.Join(", ", outside[..^1])}{(outside.Count > 1 ? " and " : "")}{outside[^1]} "
                        + $"{(outside.Count == 1 ? "is" : "are")} dated outside {period.Name} ({period.StartsOn:d MMM yyyy} to {period.EndsOn:d MMM yyyy}): "
                        + (outside.Count == 1 ? "change its date or remove it first" : "change their dates or remove them first"));
                if (period is not null && period.Id != c.Claim.PeriodId && tlrs.Count > 0 && LineEditing.TlrNotBegun(period) is { } notBegun)
                    errors.Add("periodId", $"line {tlrs[0].LineNo} is a TLR, and {notBegun}");
                errors.ThrowIfAny();
                if (period!.Id != c.Claim.PeriodId)
                {
                    EnsureOpen(period, c.Year.Code, "no claim can be moved into it"); // of the claim's year (above)
                    // dated and priced as a TLR added to the claim in its new half-term would be
                    var moved = c with { Period = period };
                    var lookups = new LineEditing.Lookups(db, moved);
                    redated = tlrs;
                    foreach (var tlr in tlrs)
                        await LineEditing.FillAsync(db, moved, tlr, new LineEditing.LineInput(tlr.Kind, tlr.CategoryId, null, tlr.StaffRef, null, null, null,
                            null, null, null, null, null, null, null, tlr.Description), lookups, ct);
                }
            }
            errors.ThrowIfAny();
            var before = new { c.Claim.PeriodId, c.Claim.Description };
            c.Claim.PeriodId = r.PeriodId ?? c.Claim.PeriodId;
            c.Claim.Description = r.Description is null ? c.Claim.Description : description ?? "";
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            audit.Record(AuditAction.ClaimChanged, c.Claim.Id, c.Claim.ProgrammeId, new
            {
                before, after = new { c.Claim.PeriodId, c.Claim.Description }, tlrLines = redated.Count == 0 ? null : redated.Select(LineEditing.Describe),
            });
            await db.SaveChangesAsync(ct);
            return c.Claim;
        }, ct);

    /// <summary>A draft that was never submitted can be thrown away; one with history stays, as a record.</summary>
    public static async Task DiscardAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            if (await db.Set<ClaimTransition>().AnyAsync(t => t.ClaimId == claimId, ct))
                throw new RuleBroken("claim-has-history", "This claim has been submitted before: it stays on record. Leave it in draft, or withdraw it when resubmitted.", 409);
            await db.Set<Evidence>().Where(e => e.ClaimId == claimId).ExecuteDeleteAsync(ct);
            await db.Set<ClaimLine>().Where(l => l.ClaimId == claimId).ExecuteDeleteAsync(ct);
            await db.Set<Claim>().Where(x => x.Id == claimId).ExecuteDeleteAsync(ct);
            audit.Record(AuditAction.ClaimDiscarded, claimId, c.Claim.ProgrammeId, new { lines = c.Claim.Lines.Count });
            await db.SaveChangesAsync(ct);
        }, ct);

    /// <summary>
    /// Whether the claim's draft may gain or change lines and evidence and be submitted in its half-term: while the half-term
    /// is open, and for a draft returned for changes (submitted before the half-term closed, as a submission into a closed one
    /// is refused) until its year is closed. A claim submitted before the close is reviewed and paid as ever, and returning it
    /// is part of its review: a return in a closed half-term had left the school no way to claim the work but under another
    /// date. Once the year is closed its money has lapsed or been carried forward, and nothing is held or paid from it again.
    /// </summary>
    internal static bool OpenTo(ClaimScope c) => c.Period.ClosedAt is null || (c.Claim.SubmittedAt is not null && c.Year.ClosedAt is null);

    /// <summary><see cref="EnsureOpen(Programmes.Period, string, string)"/> for a claim's draft, which a return keeps open (<see cref="OpenTo"/>).</summary>
    internal static void EnsureOpen(ClaimScope c, string doing)
    {
        if (!OpenTo(c)) EnsureOpen(c.Period, c.Year.Code, doing);
    }

    /// <summary>
    /// A closed half-term takes no new claiming: no claim is started in it or moved into it, and no draft of it gains or changes a
    /// line or evidence or is submitted (409 naming periodId). Its drafts can still be deleted, and claims submitted before it closed are
    /// reviewed and paid as ever (<see cref="OpenTo"/>).
    /// </summary>
    /// <param name="yearCode">the half-term's year, "2025-26"</param>
    internal static void EnsureOpen(Programmes.Period period, string yearCode, string doing)
    {
        if (period.ClosedAt is null) return;
        throw new RuleBroken("period-closed",
            $"{Programmes.Years.HalfTerm(period.Name, yearCode)} is closed: finance closed it on {Core.Ledger.UkTime.Of(period.ClosedAt.Value):d MMMM yyyy}, so {doing}. "
            + "Claim for an open half-term.", 409, "periodId", new Dictionary<string, object?> { ["periodId"] = period.Id });
    }

    /// <summary>The half-term of the programme with that id, and its year's code (a closed one is named with it), or null with why.</summary>
    private static async Task<(Programmes.Period Period, string YearCode)?> PeriodAsync(GrantLedgerDb db, long programmeId, long? periodId, FieldErrors errors,
        CancellationToken ct)
    {
        if (periodId is null)
        {
            errors.Add("periodId", "choose the half-term the claim is for");
            return null;
        }
        var found = await Programmes.Years.PeriodsInYears(db).Where(h => h.Period.Id == periodId && h.ProgrammeId == programmeId)
            .SingleOrDefaultAsync(ct);
        if (found is null) errors.Add("periodId", $"half-term {periodId} is not a half-term of this programme");
        return found is null ? null : (found.Period, found.YearCode);
    }
}
