using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Ledger;

[Authorize(Roles = Roles.Staff)]
public sealed class LedgerClaimsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Claims = await ClaimReads.ListAsync(Db, Caller, await ProgrammeAsync(ct), null, null, null, null, null, 500, ct);
}
