using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

[Authorize(Roles = Roles.AreaLead)]
public sealed class PlansModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public IReadOnlyList<ActionPlanSummary> Plans { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Plans = await PlanReads.ListAsync(Db, Caller, null, null, null, null, null, ct);
}
