using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>The statement's staff-time rows as CSV: the page's second table, every number in whole minutes.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class TimeStatementCsvModel(GrantLedgerDb db, AuditTrail audit) : StatementPage(db, audit)
{
    public Task<IActionResult> OnGetAsync(long? year, CancellationToken ct) => CsvAsync(year, Unit.Minutes, "staff-time", ct);
}
