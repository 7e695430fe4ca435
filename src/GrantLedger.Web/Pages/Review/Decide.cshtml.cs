using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Review;

/// <summary>Returns a claim to the school for amendment, or rejects it: either with a reason the school reads.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class DecideModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;
    public string Action { get; private set; } = "return";
    public string Heading => Action == "return" ? "Return the claim to the school" : "Reject the claim";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["reason"] = "The reason" };

    public async Task<IActionResult> OnGetAsync(long id, string? action, CancellationToken ct)
    {
        Action = action == "reject" ? "reject" : "return";
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return View.AllowedActions.Contains(Action) ? Page() : Redirect($"/review/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, string? action, CancellationToken ct)
    {
        Action = action == "reject" ? "reject" : "return";
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        var reason = Typed("reason");
        if (string.IsNullOrWhiteSpace(reason)) AddError("reason", $"Enter the reason for {(Action == "return" ? "returning" : "rejecting")} the claim");
        var trigger = Action == "reject" ? ClaimTrigger.Reject : ClaimTrigger.Return;
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, trigger, new(reason, null, null), null, ct)))
            return Redirect($"/review/claims/{id}/done");
        return Page();
    }
}
