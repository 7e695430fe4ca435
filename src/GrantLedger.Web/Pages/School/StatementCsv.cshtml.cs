using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>The statement's money rows as CSV for the school's own books: the page's rows, dates yyyy-MM-dd, amounts "1234.50".</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class StatementCsvModel(GrantLedgerDb db, AuditTrail audit) : StatementPage(db, audit)
{
    public Task<IActionResult> OnGetAsync(long? year, CancellationToken ct) => CsvAsync(year, Unit.Gbp, "statement", ct);
}
