using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Approvals;

/// <summary>
/// A claim waiting for a second approval, beside the school's plan. The buttons are what the claim's
/// lifecycle allows this admin now; giving the second approval fires the same transition as
/// POST /api/v1/claims/{id}/second-approve.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.SecondApprove, new(null, null, null), null, ct)))
            return Redirect($"/approvals/claims/{id}/done");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
