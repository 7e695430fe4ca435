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

    /// <summary>
    /// What the deletion takes, for its warning: "The draft is deleted", "The draft and its line are deleted", "The draft, its
    /// 2 lines and its evidence file are deleted" (it said "its 0 lines and its 0 evidence files").
    /// </summary>
    public string WhatIsDeleted
    {
        get
        {
            static string? Its(int count, string what) => count switch { 0 => null, 1 => $"its {what}", _ => $"its {count} {what}s" };
            string[] parts = ["The draft", .. new[] { Its(View.Lines.Count, "line"), Its(View.Evidence.Count, "evidence file") }.OfType<string>()];
            return parts.Length switch
            {
                1 => "The draft is deleted",
                2 => $"{parts[0]} and {parts[1]} are deleted",
                _ => $"{parts[0]}, {parts[1]} and {parts[2]} are deleted",
            };
        }
    }

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
