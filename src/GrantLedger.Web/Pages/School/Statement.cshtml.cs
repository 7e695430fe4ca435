using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// The school's money for a year as it happened (<see cref="SchoolStatement"/>), for the year the dashboard shows, whole or for a
/// period of it (from, to), which opens with what was brought forward.
/// </summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class StatementModel(GrantLedgerDb db, AuditTrail audit) : StatementPage(db, audit)
{
    public string SchoolName { get; private set; } = "";
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }
    public StatementPeriod Period { get; private set; } = StatementPeriod.WholeYear;
    public SchoolStatementView Statement { get; private set; } = new([], []);
    /// <summary>The staff-time allowances' movements, told the same way (minutes).</summary>
    public SchoolStatementView Time { get; private set; } = new([], [], Core.Ledger.Unit.Minutes);

    /// <param name="year">another year that has started; the current one when left out (as on the dashboard)</param>
    public async Task OnGetAsync(long? year, CancellationToken ct)
    {
        (var school, Years, Year) = await SchoolBudget.CallersYearsAsync(Db, Caller, year, ct);
        SchoolName = school.Name;
        if (Year is null) return;
        Period = ReadPeriod(Year);
        if (HasErrors) return; // a period refused shows no figures: the year's in its place would read as the period's
        Statement = await SchoolStatement.ForSchoolAsync(Db, school.Id, Year.Id, ct, period: Period);
        Time = await SchoolStatement.ForSchoolAsync(Db, school.Id, Year.Id, ct, Core.Ledger.Unit.Minutes, Period);
    }
}
