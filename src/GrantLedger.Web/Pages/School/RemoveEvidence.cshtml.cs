using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>Removes an evidence file from a draft (DELETE /api/v1/evidence/{id}), asked once more: the file is gone once removed.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class RemoveEvidenceModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    /// <summary>The file, or null when it is not (or no longer) on this claim.</summary>
    public EvidenceView? Evidence { get; private set; }

    /// <summary>What the page says, with no form, when the claim was submitted since it was shown (another tab), not the API's refusal.</summary>
    public NoLongerChanged? MovedOn { get; private set; }

    private async Task LoadAsync(long id, long evidenceId, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        Evidence = View.Evidence.SingleOrDefault(e => e.Id == evidenceId);
    }

    public async Task<IActionResult> OnGetAsync(long id, long evidenceId, CancellationToken ct)
    {
        await LoadAsync(id, evidenceId, ct);
        if (Evidence is null) throw new Core.Rules.NotFound("evidence", evidenceId);
        return View.State == "draft" ? Page() : Redirect($"/school/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, long evidenceId, CancellationToken ct)
    {
        await LoadAsync(id, evidenceId, ct);
        if (Evidence is null) return Redirect($"/school/claims/{id}"); // removed already (posted twice, another tab)
        if (View.State != "draft")
        {
            MovedOn = NoLongerChanged.Of(View); // submitted in another tab: said as the upload page says it, nothing removed
            return Page();
        }
        if (await AttemptAsync(() => EvidenceFiles.RemoveAsync(Db, Audit, Caller, evidenceId, null, ct))) return Redirect($"/school/claims/{id}");
        await LoadAsync(id, evidenceId, ct);
        return Page();
    }
}
