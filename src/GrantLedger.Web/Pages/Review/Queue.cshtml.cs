using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Review;

[Authorize(Roles = Roles.AreaLead)]
public sealed class QueueModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>The claims waiting, oldest submission first, 100 a page: the queue stopped at the oldest 500 without a word.</summary>
    public ClaimRows Queue { get; private set; } = ClaimRows.None;

    /// <summary>The plans waiting to be agreed, most recently changed first: the first page of the plans list's, whose link follows them when there are more.</summary>
    public IReadOnlyList<ActionPlanSummary> Plans { get; private set; } = [];
    public int PlansWaiting { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Queue = await ClaimRows.ReadAsync(Db, ClaimReads.ReviewQueue(Db, Caller, null, null, null), Typed("page"), ct);
        var waiting = PlanReads.ForPages(Db, Caller, null, "submitted");
        PlansWaiting = await waiting.CountAsync(ct);
        Plans = await PlanReads.SummariesAsync(Db, waiting.Take(PlansModel.PageSize), ct);
    }
}
