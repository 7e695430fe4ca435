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

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26": in September the queue holds both years' claims.</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Claims = await ClaimReads.ReviewQueueAsync(Db, Caller, null, null, null, ct);
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, Claims.Select(c => c.Id), ct);
        Plans = await PlanReads.ListAsync(Db, Caller, null, null, null, null, "submitted", ct);
    }
}
