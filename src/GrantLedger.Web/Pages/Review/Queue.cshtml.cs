using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

[Authorize(Roles = Roles.AreaLead)]
public sealed class QueueModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];
    public IReadOnlyList<ActionPlanSummary> Plans { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Claims = await ClaimReads.ReviewQueueAsync(Db, Caller, null, null, null, ct);
        Plans = await PlanReads.ListAsync(Db, Caller, null, null, null, null, "submitted", ct);
    }
}
