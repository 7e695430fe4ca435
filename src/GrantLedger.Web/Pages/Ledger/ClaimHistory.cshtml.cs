using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>A claim's lines and every step of its history, with the ledger entry each step wrote.</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ClaimHistoryModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    /// <summary>
    /// The list of claims it was opened from, as it was (its filters, page or sample: <c>?list=</c>), else the claim's
    /// programme's list.
    /// </summary>
    public string BackHref => Request.Query["list"] is { Count: 1 } list && list[0] is { Length: > 0 and <= MostList } query
        ? "/ledger/claims?" + query : $"/ledger/claims?programmeId={View.ProgrammeId}";

    private const int MostList = 2_000;
}
