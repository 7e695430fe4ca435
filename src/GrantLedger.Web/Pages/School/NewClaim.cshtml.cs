using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class NewClaimModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public List<(string, string)> Periods { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["periodId"] = "The half-term", ["description"] = "The description",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["periodId"] = "Select the half-term the claim is for",
    };

    private async Task LoadAsync(CancellationToken ct)
    {
        var school = await Db.Schools.AsNoTracking().SingleAsync(s => s.Id == Caller.SchoolId, ct);
        var year = await SchoolBudget.CurrentYearAsync(Db, school.ProgrammeId, ct);
        Periods = year?.Periods.Where(p => p.ClosedAt is null).OrderBy(p => p.StartsOn)
            .Select(p => (p.Id.ToString(), $"{Programmes.Years.HalfTerm(p.Name, year.Code)} ({p.StartsOn:d MMM} to {p.EndsOn:d MMM yyyy})")).ToList() ?? [];
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        var periodId = Given("periodId") ? ReadId("periodId") : null;
        return await OnceAsync(async () => $"/school/claims/{(await Drafting.StartAsync(Db, Audit, Caller, new(null, periodId, Typed("description")), ct)).Id}",
            "the claim was started") ?? Page();
    }
}
