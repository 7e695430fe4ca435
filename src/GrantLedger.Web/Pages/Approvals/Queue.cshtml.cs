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
    /// <summary>The claims waiting, oldest submission first, 100 a page: the queue stopped at the oldest 500 without a word.</summary>
    public ClaimRows Queue { get; private set; } = ClaimRows.None;

    public async Task OnGetAsync(CancellationToken ct) =>
        Queue = await ClaimRows.ReadAsync(Db, ClaimReads.ReviewQueue(Db, Caller, null, null, null), Typed("page"), ct);
}
