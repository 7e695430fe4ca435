using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Plans;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.ActionPlans;

/// <summary>
/// Writing a plan: starting the first version for a school and year, replacing a draft's content
/// (themes, the student action group's date, summary and actions), and revising an agreed plan as a
/// new version that starts as a copy of it.
/// </summary>
public static class PlanDrafting
{
    /// <param name="Ref">the action's number, to keep it from an earlier version; new actions leave it out</param>
    public sealed record ActionInput(int? Ref, [property: OneOf(typeof(ActionPlanRules), nameof(ActionPlanRules.Themes))] string? Theme, [property: MaxText(MostDescription)] string? Description, long? PeriodId, Money? EstimatedCost);

    /// <param name="SchoolId">defaults to the caller's school</param>
    /// <param name="ProgrammeYearId">defaults to the programme year that contains today</param>
    public sealed record PlanInput(long? SchoolId, long? ProgrammeYearId, [property: OneOf(typeof(ActionPlanRules), nameof(ActionPlanRules.Themes))] List<string>? Themes, DateOnly? StudentGroupAgreedOn,
        [property: MaxText(MostSummary)] string? Summary, List<ActionInput>? Actions);

    public const int MaxActions = 60, MostSummary = 2000, MostDescription = 1000;

    public static async Task<ActionPlan> StartAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, PlanInput r, CancellationToken ct)
    {
        if (caller.Role != Roles.SchoolBusinessManager) throw new Forbidden("action plans are written by the school's business manager");
        var schoolId = r.SchoolId ?? caller.SchoolId!.Value;
        var school = await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId, ct) ?? throw new NotFound("school", schoolId);
        caller.EnsureSchool(school);
        var year = await YearAsync(db, school.ProgrammeId, r.ProgrammeYearId, ct);

        return await db.InTransactionAsync(async () =>
        {
            // One writer per school and year at a time: the versions are numbered from what is there.
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext('action_plan'), {(int)school.Id})", ct);
            var existing = await db.Set<ActionPlan>().AsNoTracking()
                .Where(p => p.SchoolId == school.Id && p.ProgrammeYearId == year.Id).OrderByDescending(p => p.Version).FirstOrDefaultAsync(ct);
            if (existing is not null)
                throw new RuleBroken("plan-exists",
                    $"{school.Name} already has an action plan for {year.Code} (version {existing.Version}, {existing.State}): " +
                    (existing.State is "agreed" or "superseded" ? "revise it as a new version" : "change that draft instead"),
                    409, details: new Dictionary<string, object?> { ["actionPlanId"] = existing.Id, ["state"] = existing.State });

            var plan = new ActionPlan
            {
                ProgrammeId = school.ProgrammeId, ProgrammeYearId = year.Id, SchoolId = school.Id, Version = 1, CreatedBy = caller.Id,
            };
            var actions = await ApplyContentAsync(db, plan, r, year, nextRef: 1, ct);
            db.Add(plan);
            await db.SaveChangesAsync(ct);
            plan.Actions.AddRange(actions);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ActionPlanStarted, plan.Id, plan.ProgrammeId, Snapshot(plan, school));
            await db.SaveChangesAsync(ct);
            return plan;
        }, ct);
    }

    public static async Task<ActionPlan> ReplaceAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long planId, PlanInput r,
        string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var p = await ActionPlans.LockAsync(db, caller, planId, ct);
            RowVersions.Check("action plan", p.Plan.RowVersion, ifMatch);
            ActionPlans.EnsureDraft(p, caller);
            if (r.ProgrammeYearId is not null && r.ProgrammeYearId != p.Plan.ProgrammeYearId)
                throw new InvalidInput("programmeYearId", "a plan stays in its year: start a plan for the other year instead");
            var year = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).SingleAsync(y => y.Id == p.Plan.ProgrammeYearId, ct);
            var before = Snapshot(p.Plan, p.School);
            var nextRef = await NextRefAsync(db, p.Plan, ct);
            db.RemoveRange(p.Plan.Actions);
            await db.SaveChangesAsync(ct);
            p.Plan.Actions.Clear();
            var actions = await ApplyContentAsync(db, p.Plan, r, year, nextRef, ct);
            var claimed = new FieldErrors();
            foreach (var dropped in await ClaimedActionsDroppedAsync(db, p.Plan, actions.Select(a => a.ActionRef), ct))
                claimed.Add("actions", $"{dropped}: keep the action (its estimated cost may change)");
            claimed.ThrowIfAny();
            p.Plan.UpdatedAt = await db.NowAsync(ct); // the time of its audit event
            await db.SaveChangesAsync(ct); // the themes first: the database checks each action's theme against them
            p.Plan.Actions.AddRange(actions);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ActionPlanChanged, p.Plan.Id, p.Plan.ProgrammeId, new { before, after = Snapshot(p.Plan, p.School) });
            await db.SaveChangesAsync(ct);
            return p.Plan;
        }, ct);

    /// <summary>Starts the next version of an agreed plan as a draft copy of it; the agreed one stays in force until the new one is agreed.</summary>
    /// <param name="ifMatch">the agreed version's ETag as the caller read it (null: any): 409 stale-version if it has changed</param>
    public static async Task<ActionPlan> ReviseAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long planId, string? ifMatch,
        CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var p = await ActionPlans.LockAsync(db, caller, planId, ct);
            RowVersions.Check("action plan", p.Plan.RowVersion, ifMatch);
            if (caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != p.School.Id)
                throw new Forbidden("only the school's business manager can revise its action plan");
            if (p.Plan.State != "agreed")
            {
                // what is open instead, as a step's 409 says it: the lifecycle's triggers, then editing a draft
                var (allowed, openNow) = ActionPlanWorkflow.Lifecycle.OpenNow(p.State, p.Context(caller), await PlanReads.BesideSaidAsync(db, p, caller, ct));
                throw new RuleBroken("plan-not-agreed", $"Version {p.Plan.Version} is '{p.Plan.State}': only the agreed version is revised. {openNow}", 409,
                    details: new Dictionary<string, object?> { ["state"] = p.Plan.State, ["allowedTriggers"] = allowed });
            }
            var open = await db.Set<ActionPlan>().AsNoTracking()
                .SingleOrDefaultAsync(x => x.SchoolId == p.Plan.SchoolId && x.ProgrammeYearId == p.Plan.ProgrammeYearId
                                           && (x.State == "draft" || x.State == "submitted"), ct);
            if (open is not null)
                throw new RuleBroken("revision-in-progress",
                    $"Version {open.Version} is already being revised ({open.State}): continue with that one.", 409,
                    details: new Dictionary<string, object?> { ["actionPlanId"] = open.Id, ["state"] = open.State });
            var latest = await db.Set<ActionPlan>().Where(x => x.SchoolId == p.Plan.SchoolId && x.ProgrammeYearId == p.Plan.ProgrammeYearId)
                .MaxAsync(x => x.Version, ct);

            var next = new ActionPlan
            {
                ProgrammeId = p.Plan.ProgrammeId, ProgrammeYearId = p.Plan.ProgrammeYearId, SchoolId = p.Plan.SchoolId, Version = latest + 1,
                Themes = [.. p.Plan.Themes], StudentGroupAgreedOn = p.Plan.StudentGroupAgreedOn, Summary = p.Plan.Summary, CreatedBy = caller.Id,
                Actions = p.Plan.Actions.Select(a => new ActionPlanAction
                {
                    ActionRef = a.ActionRef, Theme = a.Theme, Description = a.Description, PeriodId = a.PeriodId, EstimatedCostPence = a.EstimatedCostPence,
                }).ToList(),
            };
            db.Add(next);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ActionPlanRevised, next.Id, next.ProgrammeId, new { from = p.Plan.Id, fromVersion = p.Plan.Version, next.Version });
            await db.SaveChangesAsync(ct);
            return next;
        }, ct);

    /// <summary>A theme as the pages name it: "Learning".</summary>
    private static string ThemeName(string theme) => theme.Length == 0 ? theme : char.ToUpperInvariant(theme[0]) + theme[1..];

    /// <summary>Checks a version's content, every field error at once; sets its fields and returns its actions.</summary>
    private static async Task<List<ActionPlanAction>> ApplyContentAsync(GrantLedgerDb db, ActionPlan plan, PlanInput r, ProgrammeYear year, int nextRef, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var themes = r.Themes?.Select(t => t?.Trim().ToLowerInvariant() ?? "").ToList();
        var themeError = ActionPlanRules.CheckThemes(themes);
        if (themeError is not null) errors.Add("themes", themeError);
        if (r.StudentGroupAgreedOn is { } agreedOn && agreedOn > UkTime.Today)
            errors.Add("studentGroupAgreedOn", "cannot be in the future: give the date the student action group agreed the plan");
        var summary = errors.Text("summary", r.Summary, MostSummary, required: false, manyLines: true);
        var actions = r.Actions ?? [];
        if (actions.Count > MaxActions) errors.Add("actions", $"a plan has at most {MaxActions} actions");
        var periods = year.Periods.Count > 0 ? year.Periods
            : await db.Periods.AsNoTracking().Where(x => x.ProgrammeYearId == year.Id).ToListAsync(ct);
        var refs = new HashSet<int>();
        var result = new List<ActionPlanAction>();
        for (var i = 0; i < actions.Count; i++)
        {
            var a = actions[i];
            var at = $"actions[{i}]";
            var theme = a.Theme?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(theme)) errors.Add($"{at}.theme", "is required");
            // against themes that are themselves refused an action's theme is not told again
            else if (themeError is null && !themes!.Contains(theme))
                errors.Add($"{at}.theme", $"the action \"{FreeText.Kept(a.Description)}\" is under {ThemeName(theme)}, which is not one of the plan's themes "
                    + $"({string.Join(", ", themes!.Select(ThemeName))}): keep {ThemeName(theme)} as a theme, or move the action to another theme first");
            var description = errors.Text($"{at}.description", a.Description, MostDescription, manyLines: true);
            if (a.PeriodId is null) errors.Add($"{at}.periodId", "is required: the half-term the action happens in");
            else if (periods.All(x => x.Id != a.PeriodId)) errors.Add($"{at}.periodId", $"half-term {a.PeriodId} is not a half-term of the plan's year, {year.Code}");
            if (a.EstimatedCost is not { } cost) errors.Add($"{at}.estimatedCost", "is required (0.00 for an action that costs nothing)");
            else if (cost.Pence < 0) errors.Add($"{at}.estimatedCost", "cannot be negative");
            if (a.Ref is { } given && (given < 1 || given >= nextRef)) errors.Add($"{at}.ref", $"{given} is not the number of an action of an earlier version: leave it out for a new action");
            else if (a.Ref is { } dup && !refs.Add(dup)) errors.Add($"{at}.ref", $"{dup} appears more than once");
            result.Add(new ActionPlanAction
            {
                ActionRef = a.Ref ?? 0, Theme = theme ?? "", Description = description ?? "", PeriodId = a.PeriodId ?? 0,
                EstimatedCostPence = a.EstimatedCost?.Pence ?? 0,
            });
        }
        errors.ThrowIfAny();
        foreach (var a in result.Where(a => a.ActionRef == 0)) a.ActionRef = nextRef++;
        plan.Themes = themes!;
        plan.StudentGroupAgreedOn = r.StudentGroupAgreedOn;
        plan.Summary = summary ?? "";
        return result;
    }

    /// <summary>
    /// Refuses, naming actions, a version that leaves out an action (by its number, which every version keeps) with lines on
    /// the school's claims submitted or further on (not drafts, rejected or withdrawn): the line would show no action and
    /// the plan's table would count its spending nowhere. Its estimated cost may change; the action stays.
    /// </summary>
    /// <returns>one problem per action left out, naming it and its claims ("action 2 has spending claimed on claim …")</returns>
    internal static async Task<List<string>> ClaimedActionsDroppedAsync(GrantLedgerDb db, ActionPlan plan, IEnumerable<int> keptRefs, CancellationToken ct)
    {
        var kept = keptRefs.ToHashSet();
        var claimed = await (from l in db.Set<Claims.ClaimLine>()
                             join a in db.Set<ActionPlanAction>() on l.ActionId equals a.Id
                             join v in db.Set<ActionPlan>() on a.ActionPlanId equals v.Id
                             join c in db.Set<Claims.Claim>() on l.ClaimId equals c.Id
                             where v.SchoolId == plan.SchoolId && v.ProgrammeYearId == plan.ProgrammeYearId
                                   && c.State != "draft" && c.State != "rejected" && c.State != "withdrawn"
                             select new { a.ActionRef, ClaimId = c.Id }).Distinct().ToListAsync(ct);
        return ClaimedActionsDropped(claimed.Where(x => !kept.Contains(x.ActionRef)).Select(x => (x.ActionRef, x.ClaimId)));
    }

    /// <summary>
    /// The actions left out with their claims, as <see cref="ClaimedActionsDroppedAsync"/> says them: from the service's
    /// own look-up, or from the database's refusal of the agreement (GL017, migration 0072).
    /// </summary>
    internal static List<string> ClaimedActionsDropped(IEnumerable<(int ActionRef, long ClaimId)> claimed) =>
        claimed.Distinct().GroupBy(x => x.ActionRef).OrderBy(g => g.Key).Select(action =>
        {
            var claims = action.Select(x => x.ClaimId).Order().Select(Claims.ClaimAccess.Reference).ToList();
            return $"action {action.Key} has spending claimed on {(claims.Count == 1 ? "claim" : "claims")} {string.Join(", ", claims)}";
        }).ToList();

    /// <summary>The next action number for the school's plan in this year, across every version, so a number is never reused.</summary>
    private static async Task<int> NextRefAsync(GrantLedgerDb db, ActionPlan plan, CancellationToken ct) =>
        1 + (await db.Set<ActionPlanAction>()
            .Where(a => db.Set<ActionPlan>().Any(p => p.Id == a.ActionPlanId && p.SchoolId == plan.SchoolId && p.ProgrammeYearId == plan.ProgrammeYearId))
            .MaxAsync(a => (int?)a.ActionRef, ct) ?? 0);

    private static async Task<ProgrammeYear> YearAsync(GrantLedgerDb db, long programmeId, long? yearId, CancellationToken ct)
    {
        var today = UkTime.Today;
        var year = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods)
            .Where(y => y.ProgrammeId == programmeId && (yearId == null ? y.StartsOn <= today && y.EndsOn >= today : y.Id == yearId))
            .SingleOrDefaultAsync(ct);
        return year ?? throw new InvalidInput("programmeYearId", yearId is null
            ? "is required: no year of the programme contains today"
            : $"year {yearId} is not a year of the school's programme");
    }

    public static object Snapshot(ActionPlan plan, School school) => new
    {
        school = school.Urn, plan.Version, plan.Themes, plan.StudentGroupAgreedOn, plan.Summary,
        actions = plan.Actions.Select(a => new { a.ActionRef, a.Theme, a.Description, a.PeriodId, estimatedCost = new Money(a.EstimatedCostPence).ToDecimalString() }),
    };
}
