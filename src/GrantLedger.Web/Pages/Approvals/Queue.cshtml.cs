using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Approvals;

/// <summary>Claims an area lead approved at or above the programme's threshold, waiting for the programme admin's second approval.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class QueueModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Claims = await ClaimReads.ReviewQueueAsync(Db, Caller, null, null, null, ct);
}
