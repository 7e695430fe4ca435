using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>A claim with what every use case needs around it: its school, programme and period.</summary>
public sealed record ClaimScope(Claim Claim, School School, Programme Programme, Period Period)
{
    public ClaimState State => Kebab.TryParse<ClaimState>(Claim.State, out var s) ? s : throw new InvalidOperationException(Claim.State);

    public ClaimContext Context(CurrentUser caller, Core.Money.Money total, string? reason = null) =>
        new(new Actor(caller.Id, caller.Role, InScope(caller)), Claim.CreatedBy, Claim.SubmittedBy, Claim.FirstApprovedBy, total,
            Programme.SecondApprovalThresholdPence is { } t ? new Core.Money.Money(t) : null, reason);

    /// <summary>The caller's scope reaches this claim for the rows of their role.</summary>
    public bool InScope(CurrentUser caller) => caller.Role switch
    {
        Roles.SchoolBusinessManager => caller.SchoolId == School.Id,
        Roles.AreaLead => caller.AreaId == School.AreaId,
        _ => caller.CanSeeProgramme(Programme.Id),
    };
}

/// <summary>Finding claims the caller may see, locking one for a change, and its ETag.</summary>
public static class ClaimAccess
{
    /// <summary>Reads a claim the caller may see (404 if there is none, 403 if it is outside their scope).</summary>
    public static async Task<ClaimScope> FindAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct, bool forUpdate = false)
    {
        var query = forUpdate
            ? db.Set<Claim>().FromSqlInterpolated($"SELECT c.*, c.xmin FROM claim c WHERE c.id = {claimId} FOR UPDATE")
            : db.Set<Claim>().Where(c => c.Id == claimId);
        var claim = await query.Include(c => c.Lines).SingleOrDefaultAsync(ct) ?? throw new NotFound("claim", claimId);
        var school = await db.Schools.AsNoTracking().SingleAsync(s => s.Id == claim.SchoolId, ct);
        caller.EnsureSchool(school);
        var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Id == claim.ProgrammeId, ct);
        var period = await db.Periods.AsNoTracking().SingleAsync(p => p.Id == claim.PeriodId, ct);
        claim.Lines.Sort((a, b) => a.LineNo.CompareTo(b.LineNo));
        return new ClaimScope(claim, school, programme, period);
    }

    /// <summary>
    /// Locks the claim's row for the rest of the transaction, so that two people acting on one claim
    /// at once queue: the second sees what the first did (and is refused if it no longer fits).
    /// </summary>
    public static Task<ClaimScope> LockAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct) =>
        FindAsync(db, caller, claimId, ct, forUpdate: true);

    public static string ETag(Claim claim) => RowVersions.ETag(claim.Version);

    /// <summary>With If-Match, a change applies only to the version the client read; otherwise 409.</summary>
    public static void CheckVersion(Claim claim, string? ifMatch) => RowVersions.Check("claim", claim.Version, ifMatch);

    public static void EnsureDraft(ClaimScope c, CurrentUser caller)
    {
        if (caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != c.School.Id)
            throw new Forbidden("only the school's business manager can change its claims");
        if (c.Claim.State != "draft")
            throw new RuleBroken("claim-not-draft",
                $"The claim is '{c.Claim.State}': it changes only through the workflow now, not by editing.", 409,
                details: new Dictionary<string, object?> { ["state"] = c.Claim.State });
    }

    public static string Reference(long claimId) => $"CLM-{claimId:000000}";
}
