using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>Debits and credits per account as of a date; each unit's debits equal its credits.</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class TrialBalanceModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public TrialBalance? Result { get; private set; }

    public async Task OnGetAsync(int? depth, CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var asOf = ReadDate("asOf", "the date", required: false);
        if (HasErrors) return;
        await AttemptAsync(async () => Result = await LedgerReads.TrialBalanceAsync(Db, Caller, programmeId, asOf, null, depth, ct));
    }
}
