using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>A claim as its school sees it; the buttons are the actions the claim's lifecycle allows now.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class ClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostRemoveLineAsync(long id, long lineId, CancellationToken ct)
    {
        if (await AttemptAsync(() => LineEditing.RemoveAsync(Db, Audit, Caller, id, lineId, null, ct))) return Redirect($"/school/claims/{id}");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
