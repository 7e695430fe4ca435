using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class SubmittedModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
}
