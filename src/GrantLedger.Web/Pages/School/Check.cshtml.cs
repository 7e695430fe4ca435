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
public sealed partial class CheckModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    /// <summary>A page opened from this one's Change links (?from=check: a line, the evidence) goes back, and saves back, here.</summary>
    public static bool OpenedFromCheck(HttpRequest request) => request.Query["from"] == "check";

    /// <summary>Where such a page goes back and saves to: this page when opened from it, else the claim's page.</summary>
    public static string Back(HttpRequest request, long claimId) =>
        OpenedFromCheck(request) ? $"/school/claims/{claimId}/check" : $"/school/claims/{claimId}";

    /// <summary>
    /// The claim was submitted since a page that changes it (a line, its evidence, an import) was opened (a bookmark, another tab):
    /// <paramref name="action"/> is no longer offered and it is no draft. The page then says so (_NoLongerChanged) and offers no form.
    /// </summary>
    public static bool SubmittedSince(ClaimView view, string action) => !view.AllowedActions.Contains(action) && view.State != "draft";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["declaration"] = "The declaration" };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["declaration"] = "Select to confirm the declaration",
    };

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return View.AllowedActions.Contains("submit") ? Page() : Redirect($"/school/claims/{id}");
    }

    /// <summary>
    /// Where a refusal's link in the error summary goes: the row of the line it is about ("line-at-1", by its place among the lines, as the API's key gives it), the evidence for a
    /// missing invoice, the declaration, the lines for a claim past its budget, else the total.
    /// </summary>
    private static string Row(string field) => field switch
    {
        "declaration" => field,
        _ when LineField().Match(field) is { Success: true } m => m.Groups[2].Value == "evidence" ? "evidence" : $"line-at-{m.Groups[1].Value}",
        "lines" => "lines",
        _ => "total",
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"^lines\[(\d+)\]\.(\w+)$")] private static partial System.Text.RegularExpressions.Regex LineField();

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        var declared = TypedAll("declaration").Contains("true");
        if (!declared) LeftOut("declaration");
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.Submit, new(null, true, null), null, ct), Row))
            return Redirect($"/school/claims/{id}/submitted");
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return Page();
    }
}
