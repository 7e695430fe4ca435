using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Review;

/// <summary>A claim beside the school's plan; the buttons are the actions the claim's lifecycle allows the lead now.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class ReviewClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostStartReviewAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.StartReview, new(null, null, null), null, ct)))
            return Redirect($"/review/claims/{id}");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
