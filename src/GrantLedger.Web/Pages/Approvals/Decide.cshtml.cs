using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Approvals;

/// <summary>Instead of the second approval: return the claim to the school, or reject it, with a reason the school reads.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
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
        return View.AllowedActions.Contains(Action) ? Page() : Redirect($"/approvals/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, string? action, CancellationToken ct)
    {
        Action = action == "reject" ? "reject" : "return";
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        var reason = Typed("reason");
        if (string.IsNullOrWhiteSpace(reason)) AddError("reason", $"Enter the reason for {(Action == "return" ? "returning" : "rejecting")} the claim");
        var trigger = Action == "reject" ? ClaimTrigger.Reject : ClaimTrigger.Return;
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, trigger, new(reason, null, null), null, ct)))
            return Redirect($"/approvals/claims/{id}/done");
        return Page();
    }
}
