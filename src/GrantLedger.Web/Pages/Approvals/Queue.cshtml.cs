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

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26", as the other claim lists give it.</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Claims = await ClaimReads.ReviewQueueAsync(Db, Caller, null, null, null, ct);
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, Claims.Select(c => c.Id), ct);
    }
}
