using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>The year's funding, what is still unallocated, and its allocations as the API lists them.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class AllocationsModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    public sealed record UnitFigures(string Unit, long Funded, long Unallocated, long? UnallocatedAccountId);

    public IReadOnlyList<UnitFigures> Figures { get; private set; } = [];
    public IReadOnlyList<AllocationsController.AllocationItem> Items { get; private set; } = [];
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        Years = await Db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == ProgrammeId).OrderByDescending(y => y.StartsOn).ToListAsync(ct);
        if (Year is null) return;
        Items = await AllocationList.ForYearAsync(Db, Caller, ProgrammeId, Year.Id, ct);
        var prefix = $"{Programme.Code}:{Year.Code}:";
        var accounts = await Db.Accounts.AsNoTracking()
            .Where(a => a.ProgrammeId == ProgrammeId && a.ProgrammeYearId == Year.Id && (a.Code == prefix + "funding" || a.Code == prefix + "unallocated"))
            .ToListAsync(ct);
        Figures = accounts.GroupBy(a => a.Unit).OrderBy(g => g.Key == "GBP" ? 0 : 1).Select(g =>
        {
            var funding = g.FirstOrDefault(a => a.Code.EndsWith(":funding"));
            var unallocated = g.FirstOrDefault(a => a.Code.EndsWith(":unallocated"));
            return new UnitFigures(g.Key, funding is null ? 0 : funding.DebitsPosted - funding.CreditsPosted,
                unallocated is null ? 0 : unallocated.CreditsPosted - unallocated.DebitsPosted - unallocated.DebitsPending, unallocated?.Id);
        }).ToList();
    }
}
