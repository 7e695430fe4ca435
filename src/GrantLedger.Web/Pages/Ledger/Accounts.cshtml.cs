using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The programme's accounts with balances, now or as of a date (recomputed from the transfers), a page of 500 at a time
/// (PINS has 8,412), ordered by code then unit.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class AccountsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public const int PageSize = 500;
    public IReadOnlyList<AccountView> Accounts { get; private set; } = [];
    public DateOnly? AsOf { get; private set; }
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    public async Task OnGetAsync(string? prefix, CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        await LoadAccountExampleAsync(programmeId, ct);
        AsOf = ReadDate("asOf", "the date", required: false);
        if (LedgerReads.AsOfRefusal(AsOf) is { } future) AddError("asOf", "The date " + future);
        if (HasErrors) return; // a date refused shows no table: today's balances in its place read as that date's
        var accounts = LedgerReads.VisibleAccounts(Db, Caller, programmeId);
        if (!string.IsNullOrWhiteSpace(prefix)) accounts = accounts.Where(a => a.Code.StartsWith(prefix.Trim()));
        Paging = Paging.Of(await accounts.CountAsync(ct), Request.Query["page"], PageSize);
        var page = await accounts.OrderBy(a => a.Code).ThenBy(a => a.Unit).Skip(Paging.Skip).Take(PageSize).ToListAsync(ct);
        if (AsOf is null) Accounts = page.Select(a => AccountView.Of(a)).ToList();
        else
        {
            var balances = await LedgerReads.BalancesAsOfAsync(Db, page.Select(a => a.Id).ToList(), AsOf.Value, ct);
            Accounts = page.Select(a => AccountView.Of(a, balances.GetValueOrDefault(a.Id))).ToList();
        }
    }

    /// <summary>"8,412 accounts" on one page; "Accounts 501 to 1,000 of 8,412" on one of several.</summary>
    public string Caption => Paging.Caption("account", "accounts", Accounts.Count);
}
