using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>Check your answers, then submit with the declaration: the use case reserves the budget or says by how much it falls short.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class CheckModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["declaration"] = "The declaration" };

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return View.AllowedActions.Contains("submit") ? Page() : Redirect($"/school/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        var declared = TypedAll("declaration").Contains("true");
        if (!declared) AddError("declaration", "Confirm the declaration to submit the claim");
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.Submit, new(null, true, null), null, ct),
                f => f == "declaration" ? f : ""))
            return Redirect($"/school/claims/{id}/submitted");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
