using System.Globalization;
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

    /// <summary>The school's claims of the year, newest first, 100 a page: they stopped at the newest 500 without a word.</summary>
    public ClaimRows Claims { get; private set; } = ClaimRows.None;

    public async Task OnGetAsync(long id, long? year, CancellationToken ct)
    {
        School = await AreaSchools.SchoolAsync(Db, Caller, id, ct);
        (Years, Year) = await Pages.School.SchoolBudget.ShownYearsAsync(Db, School.ProgrammeId, year, ct);
        if (Year is null) return;
        Figures = await SchoolBudget.ForSchoolAsync(Db, id, Year.Id, ct);
        Plan = (await AreaSchools.LatestPlansAsync(Db, [id], Year.Id, ct)).GetValueOrDefault(id);
        var yearId = Year.Id;
        Claims = await ClaimRows.ReadAsync(Db, Db.Set<Claim>().AsNoTracking().VisibleTo(Db, Caller)
            .Where(c => c.SchoolId == id && c.ProgrammeYearId == yearId).OrderByDescending(c => c.Id), Typed("page"), ct);
    }

    /// <summary>Another page of the school's claims of the shown year.</summary>
    public string PageLink(int page) =>
        string.Create(CultureInfo.InvariantCulture, $"/review/schools/{School.Id}?year={Year?.Id}&page={page}");
}
