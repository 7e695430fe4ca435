using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>The statement's rows as CSV for the school's own books: the page's rows, dates yyyy-MM-dd, amounts "1234.50".</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class StatementCsvModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public async Task<IActionResult> OnGetAsync(long? year, CancellationToken ct)
    {
        var (school, _, shown) = await SchoolBudget.CallersYearsAsync(Db, Caller, year, ct);
        if (shown is null) return Redirect("/school/statement");
        var statement = await SchoolStatement.ForSchoolAsync(Db, school.Id, shown.Id, ct);
        return File(SchoolStatement.Csv(statement), "text/csv; charset=utf-8", $"statement-{school.Urn}-{shown.Code}.csv");
    }
}
