using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages.School;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Review;

/// <summary>One school of the lead's area in a year: its budget as its own dashboard shows it, its plan, and its claims.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class AreaSchoolModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Programmes.School School { get; private set; } = null!;
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }
    public IReadOnlyList<CategoryFigures> Figures { get; private set; } = [];
    public LatestPlan? Plan { get; private set; }
    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public async Task OnGetAsync(long id, long? year, CancellationToken ct)
    {
        School = await AreaSchools.SchoolAsync(Db, Caller, id, ct);
        (Years, Year) = await Pages.School.SchoolBudget.ShownYearsAsync(Db, School.ProgrammeId, year, ct);
        if (Year is null) return;
        Figures = await SchoolBudget.ForSchoolAsync(Db, id, Year.Id, ct);
        Plan = (await AreaSchools.LatestPlansAsync(Db, [id], Year.Id, ct)).GetValueOrDefault(id);
        var yearId = Year.Id;
        Claims = await ClaimReads.SummariesAsync(Db, Db.Set<Claim>().AsNoTracking().VisibleTo(Db, Caller)
            .Where(c => c.SchoolId == id && c.ProgrammeYearId == yearId).OrderByDescending(c => c.Id).Take(500), ct);
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, Claims.Select(c => c.Id), ct); // with their year, as the queue and the school's list name them
    }
}
