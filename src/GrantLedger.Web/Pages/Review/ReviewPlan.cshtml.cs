using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Review;

/// <summary>The area lead agrees a submitted plan, or returns it with feedback.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class ReviewPlanModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ActionPlanView View { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["feedback"] = "The feedback" };

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await PlanReads.DetailAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostAgreeAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => PlanTransitions.FireAsync(Db, Audit, Caller, id, ActionPlanTrigger.Agree, null, null, ct)))
        {
            SayDone("Plan agreed: it is the version in force, and the school's claims are checked against it");
            return Redirect($"/review/plans/{id}");
        }
        View = await PlanReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostReturnAsync(long id, CancellationToken ct)
    {
        var feedback = Typed("feedback");
        if (string.IsNullOrWhiteSpace(feedback)) AddError("feedback", "Enter your feedback for the school");
        if (await AttemptAsync(() => PlanTransitions.FireAsync(Db, Audit, Caller, id, ActionPlanTrigger.Return, feedback, null, ct)))
        {
            SayDone("Plan returned to the school with your feedback");
            return Redirect($"/review/plans/{id}");
        }
        View = await PlanReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
