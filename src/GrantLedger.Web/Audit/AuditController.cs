using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Questions auditors ask, read-only: the journal searched, balances and the trial balance as of any
/// date and as recorded by any moment, statements, a claim's whole history, the audit trail, and the
/// hash chains' verification and sealing lag. Every answer is JSON, or CSV with ?format=csv (or
/// Accept: text/csv), whose first lines (# …) say what was asked.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class AuditController(GrantLedgerDb db, NpgsqlDataSource dataSource) : ApiControllerBase
{
    /// <summary>Journal lines (one per transfer) by account, account prefix, school, area, claim, payment run, user, value dates, amounts; cursor-paged.</summary>
    [HttpGet("audit/journal")]
    [ProducesResponseType(typeof(JournalSearch.Page), 200)]
    public async Task<IActionResult> Journal([FromQuery] JournalSearch.Query query, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        if (query.ProgrammeId is { } programmeId) await Programmes.SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct); // 404, as the programme's other reads
        return CsvAnswer.Wanted(Request, format) ? JournalSearch.Csv(dataSource, Caller, query, ct) : Ok(await JournalSearch.PageAsync(dataSource, Caller, query, ct));
    }

    /// <summary>
    /// Each account's balances on a value date (default today), counting what had been recorded by
    /// recordedBy (what the ledger said then) or everything recorded since (what we know now), ordered by unit then code:
    /// every account, or with limit a page at a time (pass nextCursor, the page's last accountId, as after for the next,
    /// with the same asOf, recordedBy and prefix; null on the last page). CSV gives every account from after on.
    /// </summary>
    /// <param name="after">the nextCursor of the previous page: an account of this programme (another is refused, 422)</param>
    /// <param name="limit">accounts per page, 1 to 5000 (without it, every account; CSV gives every account)</param>
    [HttpGet("audit/programmes/{programmeId:long}/balances")]
    [ProducesResponseType(typeof(AuditReads.Balances), 200)]
    public async Task<IActionResult> Balances(long programmeId, [FromQuery] DateOnly? asOf, [FromQuery] DateTimeOffset? recordedBy,
        [FromQuery] string? prefix, [FromQuery] long? after, [FromQuery, Limit(typeof(AuditReads), nameof(AuditReads.BalancesPage))] int? limit,
        [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        var most = AuditReads.BalancesPage.Of(limit);
        await Programmes.SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        var csv = CsvAnswer.Wanted(Request, format);
        var b = await AuditReads.BalancesAsync(dataSource, Caller, programmeId, asOf, recordedBy, prefix, after, csv ? null : most, ct);
        if (!csv) return Ok(b);
        return CsvAnswer.Of($"balances-{programmeId}-{ChainContent.Date(b.AsOf)}.csv",
            ["account_id", "account", "unit", "normal_side", "debits", "credits", "balance", "pending_debits", "pending_credits"], b.Accounts,
            r => [S(r.AccountId), r.Code, r.Unit, r.NormalSide, r.DebitsPosted, r.CreditsPosted, r.Balance, r.DebitsPending, r.CreditsPending]);
    }

    /// <summary>The trial balance on a value date, as recorded by a moment (optional); depth sums accounts by their codes' first segments.</summary>
    [HttpGet("audit/programmes/{programmeId:long}/trial-balance")]
    [ProducesResponseType(typeof(TrialBalance), 200)]
    public async Task<IActionResult> TrialBalance(long programmeId, [FromQuery] DateOnly? asOf, [FromQuery] DateTimeOffset? recordedBy,
        [FromQuery, Between(Ledger.LedgerReads.LeastDepth, Ledger.LedgerReads.MostDepth)] int? depth, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        var tb = await LedgerReads.TrialBalanceAsync(db, Caller, programmeId, asOf, recordedBy?.ToUniversalTime(), depth, ct);
        if (!CsvAnswer.Wanted(Request, format)) return Ok(tb);
        var rows = tb.Rows.Select(r => (IReadOnlyList<string?>)[r.Account, r.Unit, r.Debits, r.Credits, r.Balance, r.PendingDebits, r.PendingCredits])
            .Concat(tb.Totals.Select(t => (IReadOnlyList<string?>)["total", t.Unit, t.Debits, t.Credits, null, t.PendingDebits, t.PendingCredits]));
        return CsvAnswer.Of($"trial-balance-{programmeId}-{ChainContent.Date(tb.AsOf)}.csv",
            ["account", "unit", "debits", "credits", "balance", "pending_debits", "pending_credits"], rows, r => r);
    }

    /// <summary>
    /// An account's transfers between two value dates, ordered by value date then transfer id, with the opening, running and
    /// closing posted balance: every one, or with limit a page at a time (pass nextCursor, the page's last transferId, as after
    /// for the next, with the same from and to; null on the last page; a page's opening and closing are the balances before its
    /// first line and after its last). CSV gives every line from after on.
    /// </summary>
    /// <param name="after">the nextCursor of the previous page: a transfer of this statement (another is refused, 422)</param>
    /// <param name="limit">lines per page, 1 to 5000 (without it, every line; CSV gives every line)</param>
    [HttpGet("audit/accounts/{accountId:long}/statement")]
    [ProducesResponseType(typeof(Statement), 200)]
    public async Task<IActionResult> Statement(long accountId, [FromQuery] DateOnly? from, [FromQuery] DateOnly? to, [FromQuery] long? after,
        [FromQuery, Limit(typeof(LedgerReads), nameof(LedgerReads.StatementPage))] int? limit, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format,
        CancellationToken ct)
    {
        var most = LedgerReads.StatementPage.Of(limit);
        var csv = CsvAnswer.Wanted(Request, format);
        var s = await LedgerReads.StatementAsync(db, Caller, accountId, from, to, after, csv ? null : most, 0, ct);
        if (!csv) return Ok(s);
        IReadOnlyList<string?> opening = ["opening", null, null, null, null, null, null, null, null, null, null, null, s.OpeningBalance];
        var rows = s.Lines.Select(l => (IReadOnlyList<string?>)
        [
            S(l.TransferId), S(l.EntryId), ChainContent.Date(l.ValueDate), UtcMomentJsonConverter.Text(l.RecordedAt),
            l.Description, l.CauseType, S(l.CauseId), l.Kind, l.CounterAccount, l.Debit, l.Credit, l.PendingChange, l.RunningBalance,
        ]);
        return CsvAnswer.Of($"statement-{s.Account.Code.Replace(':', '_')}.csv",
            ["transfer_id", "entry_id", "value_date", "recorded_at", "description", "cause_type", "cause_id", "kind", "counter_account", "debit",
             "credit", "pending_change", "running_balance"], // a hold's amount is its pending change: without it a pending line read as nothing

            rows.Prepend(opening), r => r);
    }

    /// <summary>Every transition of the claim, every ledger line it caused, every evidence file's SHA-256 (removed ones too), every audit event.</summary>
    [HttpGet("audit/claims/{claimId:long}/history")]
    [ProducesResponseType(typeof(ClaimHistory.History), 200)]
    public async Task<IActionResult> ClaimHistoryOf(long claimId, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        var h = await ClaimHistory.ReadAsync(db, dataSource, Caller, claimId, ct);
        return CsvAnswer.Wanted(Request, format)
            ? CsvAnswer.Of($"claim-{claimId}-history.csv", ClaimHistory.CsvHeader, ClaimHistory.CsvRows(h), r => r)
            : Ok(h);
    }

    /// <summary>The audit trail, in the order written or newest first (order=newest): by programme, record, user, action (or "claim." for all of a record type's), time (a date alone is a whole UK day; to before from is 422); paged by id: pass nextCursor as after, or as before when newest first.</summary>
    [HttpGet("audit/events")]
    [ProducesResponseType(typeof(AuditReads.EventPage), 200)]
    public async Task<IActionResult> Events([FromQuery] AuditReads.EventQuery query, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        AuditReads.ReadRange(query, Request.Query["from"], Request.Query["to"]);
        var csv = CsvAnswer.Wanted(Request, format);
        var page = await AuditReads.EventsAsync(dataSource, Caller, query, all: csv, ct);
        return csv ? CsvAnswer.Of("audit-events.csv", AuditReads.EventCsvHeader, page.Items, AuditReads.EventCsvRow) : Ok(page);
    }

    /// <summary>
    /// Recomputes the hash chains you may see from the records themselves; names the first record that does not match its seal. Give
    /// the heads you noted at an earlier check as <c>noted</c> (repeated, each "chain,seal,hash": "journal:3,1204,9f2c…") and each is
    /// checked against the seal it names: "extended" when that seal still has the hash noted, "rewritten" when it has another (the
    /// chain was rewritten at or before it, even if every seal now matches its record), "missing" when the seal is gone; ok is then
    /// false unless every one is extended. At most 50.
    /// </summary>
    [HttpGet("audit/verification")]
    [ProducesResponseType(typeof(Verification.Report), 200)]
    public Task<Verification.Report> Verify([FromQuery, MostItems(Verification.MostNoted)] string?[]? noted, CancellationToken ct) =>
        Verification.VerifyVisibleAsync(dataSource, Caller, ct, Verification.ReadNoted(noted ?? []));

    /// <summary>
    /// The ledger's invariants over the programme's rows as they stand, read in one snapshot (what <c>audit check</c> runs over
    /// every programme): balances tie to their transfers, the trial balance is zero, no limited account is past its limit,
    /// each claim's holds, row and history agree, staff days are what the claims hold, each payee is paid once. PostgreSQL
    /// refuses a write that breaks them; these ask whether rows written before a rule, restored with the triggers off or
    /// changed with the owner's keys still hold them. Each check says whether it holds and names up to limit rows that break
    /// it (more: there are others). It reads every row of the programme: seconds on a large ledger.
    /// </summary>
    /// <param name="most">rows named per check, 1 to 100 (default 20), as <c>audit check --most</c></param>
    [HttpGet("audit/programmes/{programmeId:long}/checks")]
    [ProducesResponseType(typeof(LedgerChecks.Report), 200)]
    public async Task<LedgerChecks.Report> Checks(long programmeId, [FromQuery, Between(1, LedgerChecks.MostNamed)] int? most, CancellationToken ct)
    {
        var named = LedgerChecks.Named(most);
        await Programmes.SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        return await LedgerChecks.ReportAsync(dataSource, programmeId, named, ct);
    }

    /// <summary>How far sealing lags behind the writers, per chain, and each chain's head hash (keep it, and give it to a later verification as noted: the chain must still hold it).</summary>
    [HttpGet("audit/seal-status")]
    public Task<AuditReads.SealStatus> SealStatus(CancellationToken ct) => AuditReads.SealStatusAsync(dataSource, Caller, ct);

    private static string? S(long? v) => v?.ToString(CultureInfo.InvariantCulture);
}
