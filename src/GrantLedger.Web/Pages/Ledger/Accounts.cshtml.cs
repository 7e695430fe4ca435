using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.WebUtilities;
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
    public int Total { get; private set; }
    public int PageNumber { get; private set; } = 1;
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);

    public async Task OnGetAsync(string? prefix, CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AsOf = ReadDate("asOf", "the date", required: false);
        if (LedgerReads.AsOfRefusal(AsOf) is { } future) AddError("asOf", "The date " + future);
        if (HasErrors) return; // a date refused shows no table: today's balances in its place read as that date's
        var accounts = LedgerReads.VisibleAccounts(Db, Caller, programmeId);
        if (!string.IsNullOrWhiteSpace(prefix)) accounts = accounts.Where(a => a.Code.StartsWith(prefix.Trim()));
        Total = await accounts.CountAsync(ct);
        // "page" is read from the query itself: Razor Pages keep a route value of that name
        PageNumber = Math.Clamp(int.TryParse(Request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1, 1, Pages);
        var page = await accounts.OrderBy(a => a.Code).ThenBy(a => a.Unit).Skip((PageNumber - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        if (AsOf is null) Accounts = page.Select(a => AccountView.Of(a)).ToList();
        else
        {
            var balances = await LedgerReads.BalancesAsOfAsync(Db, page.Select(a => a.Id).ToList(), AsOf.Value, ct);
            Accounts = page.Select(a => AccountView.Of(a, balances.GetValueOrDefault(a.Id))).ToList();
        }
    }

    /// <summary>"8,412 accounts" on one page; "Accounts 501 to 1,000 of 8,412" on one of several.</summary>
    public string Caption
    {
        get
        {
            string N(int x) => x.ToString("#,0", CultureInfo.InvariantCulture);
            var first = (PageNumber - 1) * PageSize + 1;
            return Pages == 1 ? (Total == 1 ? "1 account" : $"{N(Total)} accounts") : $"Accounts {N(first)} to {N(first + Accounts.Count - 1)} of {N(Total)}";
        }
    }

    /// <summary>This page's address with another page number: the programme, prefix and date kept.</summary>
    public string PageHref(int number) =>
        QueryHelpers.AddQueryString("/ledger",
            Request.Query.Where(q => q.Key != "page").Select(q => new KeyValuePair<string, string?>(q.Key, q.Value.ToString()))
                .Append(new("page", number.ToString(CultureInfo.InvariantCulture))));
}
