using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// Withdrawing a claim, asked once more: it is final (a withdrawn claim is never submitted again), so one click on the
/// claim's page does not do it, as GOV.UK asks of an action that cannot be undone.
/// </summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class WithdrawModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return View.AllowedActions.Contains("withdraw") ? Page() : Redirect($"/school/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.Withdraw, new(null, null, null), null, ct)))
        {
            SayDone("Claim withdrawn: what it reserved is back in your budget. To claim for this work later, start a new claim");
            return Redirect($"/school/claims/{id}");
        }
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
