using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>The school's action plan for the current year: its latest version, and what may be done with it now.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class PlanModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ActionPlanView? View { get; private set; }
    public string YearCode { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["studentGroupAgreedOn"] = "The date the student action group agreed the plan", ["actions"] = "Actions",
    };

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(null, ct);

    private async Task LoadAsync(long? planId, CancellationToken ct)
    {
        var id = planId ?? await LatestAsync(Db, Caller, ct);
        var school = await Db.Schools.AsNoTracking().SingleAsync(s => s.Id == Caller.SchoolId, ct);
        YearCode = (await SchoolBudget.CurrentYearAsync(Db, school.ProgrammeId, ct))?.Code ?? "this year";
        View = id is null ? null : await PlanReads.DetailAsync(Db, Caller, id.Value, ct);
    }

    /// <summary>The newest version of the school's plan for the current year.</summary>
    public static async Task<long?> LatestAsync(GrantLedgerDb db, CurrentUser caller, CancellationToken ct)
    {
        var school = await db.Schools.AsNoTracking().SingleAsync(s => s.Id == caller.SchoolId, ct);
        var year = await SchoolBudget.CurrentYearAsync(db, school.ProgrammeId, ct);
        return await db.Set<ActionPlan>().AsNoTracking().Where(p => p.SchoolId == school.Id && p.ProgrammeYearId == year!.Id)
            .OrderByDescending(p => p.Version).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// What the page says, with no form, when a post finds the version moved on since the page was shown (sent, agreed or
    /// revised in another tab, or by a colleague): as the plan's action and themes pages say it, not the API's refusal.
    /// </summary>
    public NoLongerChanged? MovedOn { get; private set; }

    /// <summary>The version posted, when it can no longer be changed (<see cref="NoLongerChanged.NoLongerADraft"/>): the page says so.</summary>
    private bool SaidNoLongerADraft(ActionPlanView view)
    {
        if (!NoLongerChanged.NoLongerADraft(view)) return false;
        MovedOn = NoLongerChanged.Of(view);
        return true;
    }

    public async Task<IActionResult> OnPostSubmitAsync(long id, CancellationToken ct)
    {
        if (SaidNoLongerADraft(await PlanReads.DetailAsync(Db, Caller, id, ct))) return Page();
        if (await AttemptAsync(() => PlanTransitions.FireAsync(Db, Audit, Caller, id, ActionPlanTrigger.Submit, null, null, ct)))
        {
            SayDone("Your action plan was sent to your area lead, who will agree it or return it to you with feedback");
            return Redirect("/school/plan");
        }
        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostReviseAsync(long id, CancellationToken ct)
    {
        var view = await PlanReads.DetailAsync(Db, Caller, id, ct);
        if (NoLongerChanged.Revised(view) is { } revised)
        {
            MovedOn = revised;
            return Page();
        }
        if (await AttemptAsync(() => PlanDrafting.ReviseAsync(Db, Audit, Caller, id, null, ct)))
        {
            SayDone("A new version of your plan was started from the agreed one: change it, then send it to your area lead. The agreed version stays in force until the new one is agreed");
            return Redirect("/school/plan");
        }
        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(long id, int actionRef, CancellationToken ct)
    {
        var view = await PlanReads.DetailAsync(Db, Caller, id, ct);
        if (SaidNoLongerADraft(view)) return Page();
        var input = PlanEditing.Input(view, view.Actions.Where(a => a.Ref != actionRef).Select(PlanEditing.Keep));
        if (await AttemptAsync(() => PlanDrafting.ReplaceAsync(Db, Audit, Caller, id, input, null, ct))) return Redirect("/school/plan");
        await LoadAsync(id, ct);
        return Page();
    }
}

/// <summary>A draft's content as the use case takes it, to change one part and keep the rest.</summary>
public static class PlanEditing
{
    public static PlanDrafting.ActionInput Keep(PlanActionItem a) => new(a.Ref, a.Theme, a.Description, a.PeriodId, a.EstimatedCost);

    public static PlanDrafting.PlanInput Input(ActionPlanView v, IEnumerable<PlanDrafting.ActionInput> actions) =>
        new(v.School.Id, v.ProgrammeYearId, [.. v.Themes], v.StudentGroupAgreedOn, v.Summary, actions.ToList());
}
