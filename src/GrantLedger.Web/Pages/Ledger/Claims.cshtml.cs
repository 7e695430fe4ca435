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

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26".</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Claims = await ClaimReads.ListAsync(Db, Caller, await ProgrammeAsync(ct), null, null, null, null, null, 500, ct);
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, Claims.Select(c => c.Id), ct);
    }
}
