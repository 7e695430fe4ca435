using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// Deleting a draft that was never submitted (DELETE /api/v1/claims/{id}), asked once more as withdrawing is: it cannot be
/// undone. A returned claim has history and stays on record: it is moved or withdrawn instead.
/// </summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class DeleteDraftModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;
    public bool Deletable => View.State == "draft" && View.History.Count == 0;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Deletable ? Page() : Redirect($"/school/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => Drafting.DiscardAsync(Db, Audit, Caller, id, null, ct))) return Redirect("/school/claims");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
