using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

/// <summary>Every school of the lead's area in a year: its plan, its money and its claims waiting for the lead, with the area's totals.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class AreaSchoolsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public string AreaName { get; private set; } = "";
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }
    public IReadOnlyList<AreaSchoolRow> Schools { get; private set; } = [];

    /// <summary>The year chosen, carried to a school's page ("" for the current year).</summary>
    public string YearQuery { get; private set; } = "";

    public AreaSchoolRow Totals => new(0, "", "", null, Schools.Sum(s => s.Allocated), Schools.Sum(s => s.Reserved), Schools.Sum(s => s.Approved),
        Schools.Sum(s => s.Paid), Schools.Sum(s => s.Available), Schools.Sum(s => s.Awaiting));

    public async Task OnGetAsync(long? year, CancellationToken ct)
    {
        var area = await AreaSchools.AreaAsync(Db, Caller, ct);
        AreaName = area.Name;
        (Years, Year) = await Pages.School.SchoolBudget.ShownYearsAsync(Db, area.ProgrammeId, year, ct);
        if (year is not null) YearQuery = $"?year={year}";
        if (Year is not null) Schools = await AreaSchools.ListAsync(Db, area.Id, Year.Id, ct);
    }
}
