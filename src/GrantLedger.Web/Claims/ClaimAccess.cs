using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>A claim with what every use case needs around it: its school, programme, period and year.</summary>
public sealed record ClaimScope(Claim Claim, School School, Programme Programme, Period Period, ProgrammeYear Year)
{
    private Dictionary<long, BudgetCategory>? _categories;

    /// <summary>The programme's budget categories by id, read once however many steps of a request need them.</summary>
    public async Task<Dictionary<long, BudgetCategory>> CategoriesAsync(GrantLedgerDb db, CancellationToken ct)
    {
        if (_categories is not null) return _categories;
        var categories = new Dictionary<long, BudgetCategory>();
        await foreach (var category in CategoriesOf(db, Programme.Id).WithCancellation(ct)) categories.Add(category.Id, category);
        return _categories = categories;
    }

    private static readonly Func<GrantLedgerDb, long, IAsyncEnumerable<BudgetCategory>> CategoriesOf = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long programmeId) => db.Categories.AsNoTracking().Where(x => x.ProgrammeId == programmeId));

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
    // Compiled once: every transition and every claim read starts with these two queries, and EF's
    // per-query pipeline (not PostgreSQL) was most of a submission's cost (docs/performance.md).
    private static readonly Func<GrantLedgerDb, long, CancellationToken, Task<Claim?>> ClaimById = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long claimId, CancellationToken ct) => db.Set<Claim>().Include(c => c.Lines).SingleOrDefault(c => c.Id == claimId));

    private sealed record Surroundings(School School, Programme Programme, Period Period, ProgrammeYear Year);

    private static readonly Func<GrantLedgerDb, long, long, long, long, CancellationToken, Task<Surroundings>> SurroundingsOf = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long schoolId, long programmeId, long periodId, long yearId, CancellationToken ct) =>
            (from s in db.Schools.AsNoTracking()
             from p in db.Programmes.AsNoTracking()
             from pe in db.Periods.AsNoTracking()
             from y in db.ProgrammeYears.AsNoTracking()
             where s.Id == schoolId && p.Id == programmeId && pe.Id == periodId && y.Id == yearId
             select new Surroundings(s, p, pe, y)).Single());

    /// <summary>Reads a claim the caller may see (404 if there is none, 403 if it is outside their scope).</summary>
    public static async Task<ClaimScope> FindAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct, bool forUpdate = false)
    {
        // The lock first, then the read: each statement of a READ COMMITTED transaction sees what was committed
        // before it began, so the read sees the claim as the previous holder of the lock left it.
        if (forUpdate && !await LockRowAsync(db, claimId, ct)) throw new NotFound("claim", claimId);
        var claim = await ClaimById(db, claimId, ct) ?? throw new NotFound("claim", claimId);
        // school, programme, period and year in one round trip (each row exists: foreign keys)
        var around = await SurroundingsOf(db, claim.SchoolId, claim.ProgrammeId, claim.PeriodId, claim.ProgrammeYearId, ct);
        caller.EnsureSchool(around.School);
        claim.Lines.Sort((a, b) => a.LineNo.CompareTo(b.LineNo));
        return new ClaimScope(claim, around.School, around.Programme, around.Period, around.Year);
    }

    private static async Task<bool> LockRowAsync(GrantLedgerDb db, long claimId, CancellationToken ct)
    {
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT true FROM claim WHERE id = $1 FOR UPDATE", conn, tx);
        cmd.Parameters.Add(new() { Value = claimId });
        return await cmd.ExecuteScalarAsync(ct) is true;
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
