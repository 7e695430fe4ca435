using GrantLedger.Core.Money;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.ActionPlans;

public sealed record PlanActionItem(long Id, int Ref, string Theme, string Description, long PeriodId, string Period, Money EstimatedCost);

public sealed record PlanVersionRef(long Id, int Version, string State, DateTimeOffset? AgreedAt);

/// <summary>One step of the plan's history, from the audit trail: who did what, when, and the feedback given.</summary>
public sealed record PlanHistoryItem(string Action, DateTimeOffset At, long? UserId, string? UserName, string? Role, string? Feedback);

public sealed record ActionPlanView(
    long Id, string Reference, long ProgrammeId, long ProgrammeYearId, SchoolSummary School, int Version, string State,
    IReadOnlyList<string> Themes, DateOnly? StudentGroupAgreedOn, string Summary, string? Feedback, Money TotalEstimated,
    IReadOnlyList<PlanActionItem> Actions, long CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    long? SubmittedBy, DateTimeOffset? SubmittedAt, long? AgreedBy, DateTimeOffset? AgreedAt, DateTimeOffset? SupersededAt,
    IReadOnlyList<PlanVersionRef> Versions, IReadOnlyList<PlanHistoryItem> History, IReadOnlyList<string> AllowedActions, string ETag);

public sealed record ActionPlanSummary(long Id, string Reference, SchoolSummary School, long ProgrammeYearId, int Version, string State,
    IReadOnlyList<string> Themes, int Actions, Money TotalEstimated, DateTimeOffset UpdatedAt);

public static class PlanReads
{
    public static async Task<ActionPlanView> DetailAsync(GrantLedgerDb db, CurrentUser caller, long planId, CancellationToken ct)
    {
        var p = await ActionPlans.FindAsync(db, caller, planId, ct);
        var plan = p.Plan;
        var periods = await db.Periods.AsNoTracking().Where(x => x.ProgrammeYearId == plan.ProgrammeYearId).ToDictionaryAsync(x => x.Id, x => x.Code, ct);
        var versions = await db.Set<ActionPlan>().AsNoTracking().Where(x => x.SchoolId == plan.SchoolId && x.ProgrammeYearId == plan.ProgrammeYearId)
            .OrderBy(x => x.Version).Select(x => new PlanVersionRef(x.Id, x.Version, x.State, x.AgreedAt)).ToListAsync(ct);
        var history = (await db.AuditEvents.AsNoTracking().Where(e => e.RecordType == "action_plan" && e.RecordId == planId).OrderBy(e => e.Id)
                .ToListAsync(ct))
            .Select(e => new PlanHistoryItem(e.Action, e.OccurredAt, e.UserId, e.UserName, e.Role,
                e.Details.RootElement.TryGetProperty("feedback", out var f) && f.ValueKind == System.Text.Json.JsonValueKind.String ? f.GetString() : null))
            .ToList();
        return new ActionPlanView(plan.Id, ActionPlans.Reference(plan, p.School), plan.ProgrammeId, plan.ProgrammeYearId,
            new SchoolSummary(p.School.Id, p.School.Urn, p.School.Name, p.School.AreaId), plan.Version, plan.State, plan.Themes,
            plan.StudentGroupAgreedOn, plan.Summary, plan.Feedback, new Money(plan.Actions.Sum(a => a.EstimatedCostPence)),
            plan.Actions.Select(a => new PlanActionItem(a.Id, a.ActionRef, a.Theme, a.Description, a.PeriodId,
                periods.GetValueOrDefault(a.PeriodId, ""), new Money(a.EstimatedCostPence))).ToList(),
            plan.CreatedBy, plan.CreatedAt, plan.UpdatedAt, plan.SubmittedBy, plan.SubmittedAt, plan.AgreedBy, plan.AgreedAt, plan.SupersededAt,
            versions, history, AllowedActions(p, caller, versions), ActionPlans.ETag(plan));
    }

    /// <summary>What the caller may do now: the lifecycle's actions for them, editing a draft, revising the agreed version.</summary>
    public static IReadOnlyList<string> AllowedActions(PlanScope p, CurrentUser caller, IReadOnlyList<PlanVersionRef> versions)
    {
        var actions = ActionPlanWorkflow.Lifecycle.Actions(p.State, p.Context(caller)).Select(t => Kebab.Of(t)).ToList();
        var beside = Beside(p, caller, versions.Any(v => v.State is "draft" or "submitted"));
        if (beside.Contains("edit")) actions.Insert(0, "edit");
        if (beside.Contains("revise")) actions.Add("revise");
        return actions;
    }

    /// <summary>
    /// What the caller may do to the version beside its lifecycle's steps: its school edits a draft, and revises the agreed
    /// version while no later one is under way (drafted or submitted).
    /// </summary>
    public static IReadOnlyList<string> Beside(PlanScope p, CurrentUser caller, bool revisionUnderWay) =>
        caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != p.School.Id ? []
        : p.Plan.State switch { "draft" => ["edit"], "agreed" when !revisionUnderWay => ["revise"], _ => [] };

    /// <summary>
    /// <see cref="Beside"/> as a 409's detail says it after the lifecycle's steps ("What you can do now: submit; or change this
    /// draft."): not in its allowedTriggers, which are the lifecycle's alone, as a claim's are (docs/workflows.md).
    /// </summary>
    public static async Task<IReadOnlyList<string>> BesideSaidAsync(GrantLedgerDb db, PlanScope p, CurrentUser caller, CancellationToken ct)
    {
        var underWay = p.Plan.State == "agreed" && await db.Set<ActionPlan>().AnyAsync(x => x.SchoolId == p.Plan.SchoolId
            && x.ProgrammeYearId == p.Plan.ProgrammeYearId && (x.State == "draft" || x.State == "submitted"), ct);
        return Beside(p, caller, underWay).Select(a => a == "edit" ? "change this draft" : "revise it as a new version").ToList();
    }

    /// <summary>
    /// Plan versions the caller may see, of a year and with a state (or every one), most recently changed first: the area lead's
    /// pages', which count them and read a page (<see cref="SummariesAsync"/>).
    /// </summary>
    public static IQueryable<ActionPlan> ForPages(GrantLedgerDb db, CurrentUser caller, long? programmeYearId, string? state) =>
        Filtered(db, caller, null, programmeYearId, null, null, state).OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id);

    /// <summary>
    /// The API's list: plan versions the caller may see, the newest version first, a page at a time (pass the last id as
    /// <paramref name="before"/>), as the claims list pages: an order by when a plan last changed moves a plan changed between
    /// two pages, which a client would read twice or miss.
    /// </summary>
    public static Task<IReadOnlyList<ActionPlanSummary>> PageAsync(GrantLedgerDb db, CurrentUser caller, long? programmeId,
        long? programmeYearId, long? schoolId, long? areaId, string? state, long? before, int limit, CancellationToken ct)
    {
        var plans = Filtered(db, caller, programmeId, programmeYearId, schoolId, areaId, state);
        if (before is not null) plans = plans.Where(p => p.Id < before);
        return SummariesAsync(db, plans.OrderByDescending(p => p.Id).Take(limit), ct);
    }

    /// <summary>A plan's states, as the API names them, in the order of the lifecycle.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetValues<ActionPlanState>().Select(x => Kebab.Of(x)).ToList();

    private static IQueryable<ActionPlan> Filtered(GrantLedgerDb db, CurrentUser caller, long? programmeId, long? programmeYearId, long? schoolId,
        long? areaId, string? state)
    {
        var plans = db.Set<ActionPlan>().AsNoTracking().VisibleTo(db, caller);
        if (programmeId is not null) plans = plans.Where(p => p.ProgrammeId == programmeId);
        if (programmeYearId is not null) plans = plans.Where(p => p.ProgrammeYearId == programmeYearId);
        if (schoolId is not null) plans = plans.Where(p => p.SchoolId == schoolId);
        if (areaId is not null) plans = plans.Where(p => db.Schools.Any(s => s.Id == p.SchoolId && s.AreaId == areaId));
        if (state is not null)
        {
            if (!States.Contains(state)) throw new Core.Rules.InvalidInput("state", "must be one of " + string.Join(", ", States));
            plans = plans.Where(p => p.State == state);
        }
        return plans;
    }

    /// <summary>The summaries of the plans a query selects, in its order.</summary>
    public static async Task<IReadOnlyList<ActionPlanSummary>> SummariesAsync(GrantLedgerDb db, IQueryable<ActionPlan> plans, CancellationToken ct)
    {
        var rows = await plans.Select(p => new
            {
                p.Id, p.Version, p.State, p.Themes, p.ProgrammeYearId, p.UpdatedAt, School = db.Schools.First(s => s.Id == p.SchoolId),
                Actions = db.Set<ActionPlanAction>().Count(a => a.ActionPlanId == p.Id),
                Total = db.Set<ActionPlanAction>().Where(a => a.ActionPlanId == p.Id).Sum(a => (long?)a.EstimatedCostPence) ?? 0,
            }).ToListAsync(ct);
        return rows.Select(r => new ActionPlanSummary(r.Id, $"AP-{r.School.Urn}-v{r.Version}", new SchoolSummary(r.School.Id, r.School.Urn, r.School.Name, r.School.AreaId),
            r.ProgrammeYearId, r.Version, r.State, r.Themes, r.Actions, new Money(r.Total), r.UpdatedAt)).ToList();
    }
}
