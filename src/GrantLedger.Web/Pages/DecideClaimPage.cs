using GrantLedger.Core.Workflow;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages;

/// <summary>
/// Returns a claim to the school for amendment, or rejects it, with a reason the school reads: the
/// area lead's review and the programme admin's second approval offer the same choice, each under
/// its own pages (<see cref="Prefix"/>). The action is offered only when the claim's lifecycle
/// allows it to this user now; otherwise the page goes back to the claim.
/// </summary>
public abstract class DecideClaimPage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>Where the claim's own page is: "/review/claims" or "/approvals/claims".</summary>
    protected abstract string Prefix { get; }

    /// <summary>What its links and redirects to the claim's pages keep of where the claim was opened from (the lead's "?from=school"), or nothing.</summary>
    public virtual string Kept => "";

    public ClaimView View { get; private set; } = null!;
    public string Action { get; private set; } = "return";
    public string Heading => Action == "return" ? "Return the claim to the school" : "Reject the claim";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["reason"] = "The reason" };

    /// <summary>The step the page takes: return or reject, and nothing else (an "approve", or "Reject", was taken as a return).</summary>
    private static string? Step(string? action) => action is "return" or "reject" ? action : null;

    public async Task<IActionResult> OnGetAsync(long id, string? action, CancellationToken ct)
    {
        Action = Step(action) ?? "return";
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Step(action) is not null && View.AllowedActions.Contains(Action) ? Page() : Redirect($"{Prefix}/{id}{Kept}");
    }

    public async Task<IActionResult> OnPostAsync(long id, string? action, CancellationToken ct)
    {
        Action = Step(action) ?? "return";
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        if (Step(action) is null)
        {
            // a form changed, or one of another page: nothing is done, rather than a step the form did not name
            AddError("action", Unreadable("action"));
            return Page();
        }
        var reason = Typed("reason");
        if (string.IsNullOrWhiteSpace(reason)) AddError("reason", $"Enter the reason for {(Action == "return" ? "returning" : "rejecting")} the claim");
        var trigger = Action == "reject" ? ClaimTrigger.Reject : ClaimTrigger.Return;
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, trigger, new(reason, null, null), null, ct)))
            return Redirect($"{Prefix}/{id}/done{Kept}");
        return Page();
    }
}
