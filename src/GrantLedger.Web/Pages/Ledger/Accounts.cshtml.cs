using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>The programme's accounts with balances, now or as of a date (recomputed from the transfers).</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class AccountsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public IReadOnlyList<AccountView> Accounts { get; private set; } = [];
    public DateOnly? AsOf { get; private set; }

    public async Task OnGetAsync(string? prefix, CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AsOf = ReadDate("asOf", "the date", required: false);
        var accounts = LedgerReads.VisibleAccounts(Db, Caller, programmeId);
        if (!string.IsNullOrWhiteSpace(prefix)) accounts = accounts.Where(a => a.Code.StartsWith(prefix.Trim()));
        var page = await accounts.OrderBy(a => a.Code).Take(500).ToListAsync(ct);
        if (AsOf is null) Accounts = page.Select(a => AccountView.Of(a)).ToList();
        else
        {
            var balances = await LedgerReads.BalancesAsOfAsync(Db, page.Select(a => a.Id).ToList(), AsOf.Value, ct);
            Accounts = page.Select(a => AccountView.Of(a, balances.GetValueOrDefault(a.Id))).ToList();
        }
    }
}
