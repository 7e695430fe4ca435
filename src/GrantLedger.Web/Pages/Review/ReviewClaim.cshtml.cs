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

    /// <summary>
    /// A claim opened from its school's page (?from=school: the school's claims, <see cref="AreaSchoolModel"/>) goes back
    /// there, and its approve, decide and done pages keep it; opened from the queue, or with any other from, they go back to
    /// the queue. Only this known value is read: the school is the claim's own, so no address is ever taken from the request.
    /// </summary>
    public static bool OpenedFromSchool(HttpRequest request) => request.Query["from"] == "school";

    /// <summary>What a link or redirect between the claim's pages adds to keep where it was opened from: "?from=school" (or "&amp;from=school" after another), or nothing.</summary>
    public static string Keep(HttpRequest request, char separator = '?') => OpenedFromSchool(request) ? $"{separator}from=school" : "";

    /// <summary>Where the claim's page and its done page go back to: the school's page, of the claim's year, or the queue.</summary>
    public static (string Href, string Text) Back(HttpRequest request, ClaimView claim) => OpenedFromSchool(request)
        ? ($"/review/schools/{claim.School.Id}?year={claim.YearId}", $"Back to {claim.School.Name}")
        : ("/review", "Back to the review queue");

    /// <summary>
    /// "Review claim CLM-…" while the lead can act on it; once it is past them, or still the school's draft (which a lead can
    /// open from the school's page), just "Claim CLM-…": a draft headed "Review claim" read as if it awaited them.
    /// </summary>
    public static string Heading(ClaimView claim) =>
        (claim.AllowedActions.Any(a => a is "start-review" or "approve" or "return" or "reject") ? "Review claim " : "Claim ") + claim.Reference;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostStartReviewAsync(long id, CancellationToken ct)
    {
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.StartReview, new(null, null, null), null, ct)))
            return Redirect($"/review/claims/{id}{Keep(Request)}");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
