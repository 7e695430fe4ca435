using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>A claim as its school sees it; the buttons are the actions the claim's lifecycle allows now.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class ClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    /// <summary>The claim's half-term with its year, "Autumn 1 2025-26".</summary>
    public string HalfTerm { get; private set; } = "";

    /// <summary>
    /// What the page says of a draft its half-term no longer takes (<see cref="ClaimView.HalfTermClosed"/>), or null: one never
    /// submitted is moved to an open half-term or deleted; in a year closed at its year end none is open, and a returned
    /// one stays on record.
    /// </summary>
    public string? ClosedSays { get; private set; }

    /// <summary>The claim's year was closed at its year end: none of its half-terms is open to move a draft into.</summary>
    public bool YearClosed { get; private set; }

    /// <summary>A draft never submitted can be deleted; a returned one stays on record (<see cref="Drafting.DiscardAsync"/>).</summary>
    public bool Deletable => View.State == "draft" && View.History.Count == 0;

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        var period = await Programmes.Years.PeriodsInYears(Db).SingleAsync(h => h.Period.Id == View.Period.Id, ct);
        (HalfTerm, YearClosed) = (period.HalfTerm, period.YearClosedAt is not null);
        ClosedSays = !View.HalfTermClosed ? null
            : period.YearClosedAt is { } yearClosed
                ? $"{period.YearCode} was closed at its year end on {Core.Ledger.UkTime.Of(yearClosed):d MMMM yyyy}, so this claim cannot be submitted: "
                  + "the year's unspent money has lapsed or been carried forward. " + (Deletable ? "Delete the draft." : "It stays on record, returned.")
                : $"{HalfTerm} is closed, so this claim cannot be submitted in it. Move it to an open half-term, or delete the draft.";
    }

    public async Task<IActionResult> OnPostRemoveLineAsync(long id, long lineId, CancellationToken ct)
    {
        if (await AttemptAsync(() => LineEditing.RemoveAsync(Db, Audit, Caller, id, lineId, null, ct), _ => "lines")) return Redirect($"/school/claims/{id}");
        await LoadAsync(id, ct);
        return Page();
    }

    /// <summary>A line removed in a tab opened before the claim was submitted in another: where it now stands (<see cref="Gov.Became"/>).</summary>
    protected override string? Reworded(RuleBroken rule) =>
        rule.Rule == "claim-not-draft" && rule.Details.GetValueOrDefault("state") is string state
            ? $"This claim {Gov.Became(state, already: true)}, so its lines can no longer be changed." : null;
}
