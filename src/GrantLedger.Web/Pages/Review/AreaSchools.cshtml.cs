using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

/// <summary>
/// The schools of the lead's area in a year, a page at a time: each one's plan, its money and its claims waiting for the lead,
/// with the totals of every school listed; found by a name or URN, or only those with claims waiting.
/// </summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class AreaSchoolsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 100;
    public const int MostSearch = 200;

    public string AreaName { get; private set; } = "";
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }

    /// <summary>The page of schools found, and the totals of every school found.</summary>
    public AreaSchoolsFound Found { get; private set; } = new([], new Paging(0, 1, PageSize), new AreaSchoolRow(0, "", "", null, 0, 0, 0, 0, 0, 0));

    /// <summary>The year chosen, carried to a school's page ("" for the current year).</summary>
    public string YearQuery { get; private set; } = "";

    /// <summary>What the list says when it finds no school: the search, the filter or the area's having none.</summary>
    public string NoneFound { get; private set; } = "Your area has no schools yet.";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["q"] = "The search" };

    public async Task OnGetAsync(long? year, CancellationToken ct)
    {
        var area = await AreaSchools.AreaAsync(Db, Caller, ct);
        AreaName = area.Name;
        (Years, Year) = await Pages.School.SchoolBudget.ShownYearsAsync(Db, area.ProgrammeId, year, ct);
        if (year is not null) YearQuery = $"?year={year}";
        var search = ReadSearch("q", "The search", MostSearch);
        var waitingOnly = Typed("waiting") == "1";
        NoneFound = ErrorFor("q") is not null ? "Put the search right to list the schools."
            : search is not null && waitingOnly ? "No schools of your area match this search and have claims waiting for you."
            : search is not null ? "No schools of your area match this search."
            : waitingOnly ? "No schools of your area have claims waiting for you."
            : NoneFound;
        if (Year is null || ErrorFor("q") is not null) return; // a search that cannot be read lists nothing rather than everything
        Found = await AreaSchools.FindAsync(Db, area.Id, Year.Id, search, waitingOnly, Typed("page"), PageSize, ct);
    }
}
