using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Ledger;

/// <summary>Accounts, balances (now or as of a date), statements, the trial balance and journal entries.</summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class LedgerController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    public static readonly PageSize AccountsPage = new(5000, 1000);

    /// <summary>
    /// Accounts with balances, ordered by code then unit (a GBP and a MIN account may share a code), a page at a
    /// time: pass the page's nextCursor as "after" for the next; nextCursor is null on the last page.
    /// With asOf, balances are recomputed from the transfers dated up to that day.
    /// </summary>
    /// <param name="after">the nextCursor of the previous page; an account code alone (as before) reads on after every account of that code</param>
    /// <param name="limit">accounts per page, 1 to 5000 (default 1000)</param>
    [HttpGet("programmes/{programmeId:long}/accounts")]
    public async Task<AccountPage> Accounts(long programmeId, [FromQuery] string? prefix,
        [FromQuery, OneOf(typeof(Core.Ledger.Units), nameof(Core.Ledger.Units.Codes))] string? unit, [FromQuery] long? schoolId, [FromQuery] DateOnly? asOf,
        [FromQuery] string? after, [FromQuery, Limit(typeof(LedgerController), nameof(AccountsPage))] int? limit,
        CancellationToken ct = default)
    {
        var size = AccountsPage.Of(limit);
        LedgerReads.EnsureAsOfNotInTheFuture(asOf);
        await Programmes.SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        var accounts = LedgerReads.VisibleAccounts(db, Caller, programmeId);
        if (!string.IsNullOrEmpty(prefix)) accounts = accounts.Where(a => a.Code.StartsWith(prefix));
        if (unit is not null)
            accounts = Core.Ledger.Units.TryParse(unit, out _) ? accounts.Where(a => a.Unit == unit) : throw new Core.Rules.InvalidInput("unit", "must be GBP or MIN");
        if (schoolId is not null)
        {
            await Access.SchoolScoping.EnsureFiltersInScopeAsync(db, Caller, null, null, schoolId, ct);
            accounts = accounts.Where(a => a.SchoolId == schoolId);
        }
        if (AccountPage.ReadCursor(after) is var (afterCode, afterUnit))
            accounts = afterUnit is null
                ? accounts.Where(a => string.Compare(a.Code, afterCode) > 0)
                : accounts.Where(a => string.Compare(a.Code, afterCode) > 0 || (a.Code == afterCode && string.Compare(a.Unit, afterUnit) > 0));
        var page = await accounts.OrderBy(a => a.Code).ThenBy(a => a.Unit).Take(size + 1).ToListAsync(ct);
        var next = page.Count > size ? AccountPage.Cursor(page[size - 1]) : null;
        if (next is not null) page.RemoveAt(size);
        if (asOf is null) return new AccountPage(page.Select(a => AccountView.Of(a)).ToList(), next);
        var balances = await LedgerReads.BalancesAsOfAsync(db, page.Select(a => a.Id).ToList(), asOf.Value, ct);
        return new AccountPage(page.Select(a => AccountView.Of(a, balances.GetValueOrDefault(a.Id))).ToList(), next);
    }

    [HttpGet("accounts/{accountId:long}")]
    public async Task<AccountView> Account(long accountId, [FromQuery] DateOnly? asOf, CancellationToken ct)
    {
        var account = await LedgerReads.FindVisibleAccountAsync(db, Caller, accountId, ct);
        LedgerReads.EnsureAsOfNotInTheFuture(asOf);
        if (asOf is null) return AccountView.Of(account);
        var balances = await LedgerReads.BalancesAsOfAsync(db, [accountId], asOf.Value, ct);
        return AccountView.Of(account, balances.GetValueOrDefault(accountId));
    }

    /// <summary>
    /// The account's transfers between two value dates, ordered by value date then transfer id, each with the running posted
    /// balance: every one, or with limit a page at a time: pass the page's nextCursor (its last line's transferId) as after for
    /// the next, with the same from and to; nextCursor is null on the last page. A page's opening balance is the balance before
    /// its first line, its closing the balance after its last.
    /// </summary>
    /// <param name="after">the nextCursor of the previous page: a transfer of this statement (another is refused, 422)</param>
    /// <param name="limit">lines per page, 1 to 5000 (without it, every line)</param>
    [HttpGet("accounts/{accountId:long}/statement")]
    public Task<Statement> Statement(long accountId, [FromQuery] DateOnly? from, [FromQuery] DateOnly? to, [FromQuery] long? after,
        [FromQuery, Limit(typeof(LedgerReads), nameof(LedgerReads.StatementPage))] int? limit, CancellationToken ct) =>
        LedgerReads.StatementAsync(db, Caller, accountId, from, to, after, LedgerReads.StatementPage.Of(limit), 0, ct);

    /// <summary>
    /// Debits and credits per account as of a value date (default today), optionally only as far as
    /// recorded by a moment; "depth" sums accounts by the first segments of their codes. Each
    /// unit's debits equal its credits.
    /// </summary>
    [HttpGet("programmes/{programmeId:long}/trial-balance")]
    [Authorize(Roles = Roles.Staff)]
    public Task<TrialBalance> TrialBalance(long programmeId, [FromQuery] DateOnly? asOf, [FromQuery] DateTimeOffset? recordedBy,
        [FromQuery, Between(LedgerReads.LeastDepth, LedgerReads.MostDepth)] int? depth, CancellationToken ct) =>
        LedgerReads.TrialBalanceAsync(db, Caller, programmeId, asOf, recordedBy, depth, ct);

    [HttpGet("journal-entries/{entryId:long}")]
    public Task<EntryView> Entry(long entryId, CancellationToken ct) => LedgerReads.EntryAsync(db, Caller, entryId, ct);

    /// <summary>Reverses a funding, allocation or virement entry with a mirroring entry.</summary>
    [HttpPost("journal-entries/{entryId:long}/reversal")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(EntryView), 201)]
    [ProducesResponseType(typeof(ProblemDetails), 409)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<EntryView>> Reversal(long entryId, Reverse.Request request, CancellationToken ct)
    {
        var entry = await Reverse.HandleAsync(db, audit, Caller, entryId, request, ct);
        return Created($"/api/v1/journal-entries/{entry.Id}", entry);
    }
}
