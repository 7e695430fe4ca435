using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Approvals;

[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class DoneModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
}
