using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// Debits and credits per account as of a date; each unit's debits equal its credits. The totals are every account's; the
/// accounts are shown 500 at a time, as on the accounts page (PINS has 8,412: one page of them was 3.3 MB).
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class TrialBalanceModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public const int PageSize = 500;
    public TrialBalance? Result { get; private set; }
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    public IReadOnlyList<TrialBalanceRow> Rows { get; private set; } = [];

    public async Task OnGetAsync(int? depth, CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var asOf = ReadDate("asOf", "the date", required: false);
        if (HasErrors) return;
        await AttemptAsync(async () => Result = await LedgerReads.TrialBalanceAsync(Db, Caller, programmeId, asOf, null, depth, ct));
        if (Result is null) return;
        Paging = Paging.Of(Result.Rows.Count, Request.Query["page"], PageSize);
        Rows = Result.Rows.Skip(Paging.Skip).Take(PageSize).ToList();
    }

    public string Caption => Paging.Caption("account", "accounts", Rows.Count);
}
