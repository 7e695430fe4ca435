using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Approvals;

[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class DoneModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    /// <summary>The outcome of a decision: a claim whose last step decided nothing (a draft never submitted, one awaiting review) has none
    /// to tell, and its page is shown instead (a draft's read "Claim returned to the school").</summary>
    public async Task<Microsoft.AspNetCore.Mvc.IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return ClaimReads.Decided(View) ? Page() : Redirect($"/approvals/claims/{id}");
    }
}
