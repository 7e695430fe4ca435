using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class DashboardModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public string SchoolName { get; private set; } = "";
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }
    public IReadOnlyList<CategoryFigures> Figures { get; private set; } = [];
    public SchoolToDo ToDo { get; private set; } = new([], 0, [], 0, null, false);
    /// <summary>For a closed year, what each category lapsed or carried forward at its close; empty while it is open.</summary>
    public IReadOnlyList<YearEndFigure> YearEnd { get; private set; } = [];

    /// <param name="year">another year that has started (last year's, while its claims are paid); the current one when left out</param>
    public async Task OnGetAsync(long? year, CancellationToken ct)
    {
        (var school, Years, Year) = await SchoolBudget.CallersYearsAsync(Db, Caller, year, ct);
        SchoolName = school.Name;
        ToDo = await SchoolToDo.ForSchoolAsync(Db, school, ct);
        if (Year is null) return;
        Figures = await SchoolBudget.ForSchoolAsync(Db, school.Id, Year.Id, ct);
        if (Year.ClosedAt is not null) YearEnd = await SchoolBudget.YearEndAsync(Db, school.Id, Year.Id, Figures, ct);
    }
}
