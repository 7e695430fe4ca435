using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>Moves a draft to another open half-term of its year (PATCH /api/v1/claims/{id} {"periodId"}): a closed half-term's draft goes on this way.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class MoveClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;
    public string HalfTerm { get; private set; } = "";
    public string YearCode { get; private set; } = "";

    /// <summary>The year's open half-terms other than the claim's own.</summary>
    public List<(string, string)> Periods { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["periodId"] = "The half-term" };
    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["periodId"] = "Select the half-term to move the claim to" };

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        var year = await Db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).SingleAsync(y => y.Id == View.YearId, ct);
        (HalfTerm, YearCode) = (Programmes.Years.HalfTerm(View.Period.Name, year.Code), year.Code);
        Periods = year.Periods.Where(p => p.ClosedAt is null && p.Id != View.Period.Id).OrderBy(p => p.StartsOn)
            .Select(p => (p.Id.ToString(), $"{Programmes.Years.HalfTerm(p.Name, year.Code)} ({p.StartsOn:d MMM} to {p.EndsOn:d MMM yyyy})")).ToList();
    }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        return View.State == "draft" ? Page() : Redirect($"/school/claims/{id}");
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        var periodId = Given("periodId") ? ReadId("periodId") : null;
        if (await AttemptAsync(() => Drafting.ChangeAsync(Db, Audit, Caller, id, new(periodId, null), null, ct)))
            return Redirect($"/school/claims/{id}");
        return Page();
    }
}
