using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.ActionPlans;

/// <summary>A plan version with its school, which every use case checks scope against.</summary>
public sealed record PlanScope(ActionPlan Plan, School School)
{
    public ActionPlanState State => Kebab.TryParse<ActionPlanState>(Plan.State, out var s) ? s : throw new InvalidOperationException(Plan.State);

    public ActionPlanContext Context(CurrentUser caller, string? feedback = null, bool newerVersionAgreed = false) =>
        new(new Actor(caller.Id, caller.Role, caller.CanSeeSchool(School)), Plan.SubmittedBy, feedback, newerVersionAgreed);
}

/// <summary>Finding plans: the one in force for claims, and a version the caller may see or change.</summary>
public static class ActionPlans
{
    /// <summary>The school's agreed plan for the year with its actions, or null when none is agreed yet.</summary>
    public static Task<ActionPlan?> AgreedPlanAsync(GrantLedgerDb db, long schoolId, long programmeYearId, CancellationToken ct) =>
        AgreedPlan(db, schoolId, programmeYearId, ct);

    // compiled once: every claim read and every claim transition's answer looks for the agreed plan
    private static readonly Func<GrantLedgerDb, long, long, CancellationToken, Task<ActionPlan?>> AgreedPlan = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long schoolId, long programmeYearId, CancellationToken ct) => db.Set<ActionPlan>().AsNoTracking().Include(p => p.Actions)
            .SingleOrDefault(p => p.SchoolId == schoolId && p.ProgrammeYearId == programmeYearId && p.State == "agreed"));

    /// <summary>Reads a version the caller may see (404 if none, 403 outside their scope); locks its row for a change.</summary>
    public static async Task<PlanScope> FindAsync(GrantLedgerDb db, CurrentUser caller, long planId, CancellationToken ct, bool forUpdate = false)
    {
        var query = forUpdate
            ? db.Set<ActionPlan>().FromSqlInterpolated($"SELECT p.*, p.xmin FROM action_plan p WHERE p.id = {planId} FOR UPDATE")
            : db.Set<ActionPlan>().Where(p => p.Id == planId);
        var plan = await query.Include(p => p.Actions).SingleOrDefaultAsync(ct) ?? throw new NotFound("action plan", planId);
        var school = await db.Schools.AsNoTracking().SingleAsync(s => s.Id == plan.SchoolId, ct);
        caller.EnsureSchool(school);
        plan.Actions.Sort((a, b) => a.ActionRef.CompareTo(b.ActionRef));
        return new PlanScope(plan, school);
    }

    public static Task<PlanScope> LockAsync(GrantLedgerDb db, CurrentUser caller, long planId, CancellationToken ct) =>
        FindAsync(db, caller, planId, ct, forUpdate: true);

    public static string ETag(ActionPlan plan) => RowVersions.ETag(plan.RowVersion);

    public static string Reference(ActionPlan plan, School school) => $"AP-{school.Urn}-v{plan.Version}";

    /// <summary>Only the school's business manager edits its plan, and only while the version is a draft.</summary>
    public static void EnsureDraft(PlanScope p, CurrentUser caller)
    {
        if (caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != p.School.Id)
            throw new Forbidden("only the school's business manager can change its action plan");
        if (p.Plan.State != "draft")
            throw new RuleBroken("plan-not-draft",
                $"Version {p.Plan.Version} of the plan is '{p.Plan.State}': only a draft is edited. To change an agreed plan, revise it as a new version.",
                409, details: new Dictionary<string, object?> { ["state"] = p.Plan.State });
    }
}
