using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.ActionPlans;

/// <summary>
/// Moves a plan version along its lifecycle (<see cref="ActionPlanWorkflow"/>): submitted by the
/// school, agreed by its area lead (which supersedes the version agreed before it) or returned with feedback.
/// </summary>
public static class PlanTransitions
{
    public const int MostFeedback = 2000;

    public static async Task<ActionPlan> FireAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long planId, ActionPlanTrigger trigger,
        string? feedback, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var p = await ActionPlans.LockAsync(db, caller, planId, ct);
            RowVersions.Check("action plan", p.Plan.RowVersion, ifMatch);
            var from = p.State;
            feedback = FreeText.Kept(feedback);
            if (FreeText.Problem(feedback, MostFeedback, required: false, manyLines: true) is { } badFeedback) throw new InvalidInput("feedback", badFeedback);
            var step = ActionPlanWorkflow.Lifecycle.Fire(from, trigger, p.Context(caller, feedback), await PlanReads.BesideSaidAsync(db, p, caller, ct));
            var now = await db.NowAsync(ct); // the time of the step's audit event
            long? superseded = null;

            switch (trigger)
            {
                case ActionPlanTrigger.Submit:
                    await CheckSubmittableAsync(db, p.Plan, ct);
                    (p.Plan.SubmittedBy, p.Plan.SubmittedAt) = (caller.Id, now);
                    break;
                case ActionPlanTrigger.Return:
                    p.Plan.Feedback = feedback;
                    break;
                case ActionPlanTrigger.Agree:
                    await CheckAgreeableAsync(db, p.Plan, ct);
                    superseded = await SupersedeAsync(db, audit, caller, p, now, ct);
                    (p.Plan.AgreedBy, p.Plan.AgreedAt, p.Plan.Feedback) = (caller.Id, now, null);
                    break;
            }
            p.Plan.State = Kebab.Of(step.To);
            p.Plan.UpdatedAt = now;
            audit.Record(AuditAction.Of(trigger), p.Plan.Id, p.Plan.ProgrammeId,
                new { from = Kebab.Of(from), to = Kebab.Of(step.To), p.Plan.Version, feedback, supersededPlanId = superseded });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: "GL017" } refusal)
            {
                throw DropsClaimedActions(ClaimedActionsInRefusal(refusal.Detail));
            }
            return p.Plan;
        }, ct);

    private static async Task CheckSubmittableAsync(GrantLedgerDb db, ActionPlan plan, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (plan.StudentGroupAgreedOn is null)
            errors.Add("studentGroupAgreedOn", "give the date the student action group agreed the plan before submitting it");
        if (plan.Actions.Count == 0) errors.Add("actions", "add at least one action before submitting");
        foreach (var theme in plan.Themes.Where(t => plan.Actions.All(a => a.Theme != t)))
            errors.Add("actions", $"the priority theme '{theme}' has no action yet: add one, or drop the theme");
        // a claim submitted since the version was saved may have claimed an action it leaves out
        foreach (var dropped in await PlanDrafting.ClaimedActionsDroppedAsync(db, plan, plan.Actions.Select(a => a.ActionRef), ct))
            errors.Add("actions", $"{dropped}: keep the action (its estimated cost may change)");
        errors.ThrowIfAny();
    }

    /// <summary>
    /// A claim submitted since the version was sent may have claimed an action it leaves out: agreed, the version would hide
    /// that spending from the plan's table. The lead returns it for the school to keep the action (409 plan-drops-claimed-action).
    /// </summary>
    private static async Task CheckAgreeableAsync(GrantLedgerDb db, ActionPlan plan, CancellationToken ct)
    {
        var dropped = await PlanDrafting.ClaimedActionsDroppedAsync(db, plan, plan.Actions.Select(a => a.ActionRef), ct);
        if (dropped.Count > 0) throw DropsClaimedActions(dropped);
    }

    private static RuleBroken DropsClaimedActions(List<string> dropped) => new("plan-drops-claimed-action",
        $"This version leaves out spending claimed since it was sent: {string.Join("; ", dropped)}. Return it to the school to keep the action.", 409);

    /// <summary>
    /// The database's refusal of the agreement (GL017, migration 0072): a claim on an action the version leaves out was
    /// submitted while the lead agreed it, after <see cref="CheckAgreeableAsync"/> looked. Its DETAIL names the actions and
    /// their claims ([{"actionRef", "claimIds"}]), said as the service's own check says them.
    /// </summary>
    private static List<string> ClaimedActionsInRefusal(string? detail)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(detail ?? "[]");
        return PlanDrafting.ClaimedActionsDropped(doc.RootElement.EnumerateArray().SelectMany(action =>
            action.GetProperty("claimIds").EnumerateArray().Select(id => (action.GetProperty("actionRef").GetInt32(), id.GetInt64()))).ToList());
    }

    /// <summary>The version agreed before this one, if any, leaves force in the same transaction (as the same area lead).</summary>
    private static async Task<long?> SupersedeAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, PlanScope p, DateTimeOffset now,
        CancellationToken ct)
    {
        var previous = await db.Set<ActionPlan>()
            .FromSqlInterpolated($"SELECT p.*, p.xmin FROM action_plan p WHERE p.school_id = {p.Plan.SchoolId} AND p.programme_year_id = {p.Plan.ProgrammeYearId} AND p.state = 'agreed' FOR UPDATE")
            .SingleOrDefaultAsync(ct);
        if (previous is null) return null;
        var old = new PlanScope(previous, p.School);
        var step = ActionPlanWorkflow.Lifecycle.Fire(old.State, ActionPlanTrigger.Supersede, old.Context(caller, newerVersionAgreed: true));
        previous.State = Kebab.Of(step.To);
        (previous.SupersededAt, previous.UpdatedAt) = (now, now);
        audit.Record(AuditAction.Of(ActionPlanTrigger.Supersede), previous.Id, previous.ProgrammeId,
            new { from = "agreed", to = Kebab.Of(step.To), previous.Version, byPlanId = p.Plan.Id, byVersion = p.Plan.Version });
        await db.SaveChangesAsync(ct); // before the new version becomes the one agreed: one agreed version at a time
        return previous.Id;
    }
}
