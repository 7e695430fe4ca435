using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Ledger;

[Authorize(Roles = Roles.Staff)]
public sealed class StatementModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Statement Statement { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => Statement = await LedgerReads.StatementAsync(Db, Caller, id, null, null, ct);
}
