using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Ledger;

/// <summary>Reading the ledger: accounts, balances as of any date, statements, trial balance, entries.</summary>
public static class LedgerReads
{
    private sealed record BalanceRow(long AccountId, long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending);

    /// <summary>Accounts the caller may see: the whole programme, their area's schools', or their school's.</summary>
    public static IQueryable<Account> VisibleAccounts(GrantLedgerDb db, CurrentUser caller, long programmeId)
    {
        var accounts = db.Accounts.AsNoTracking().Where(a => a.ProgrammeId == programmeId);
        if (caller.SeesWholeProgramme(programmeId)) return accounts;
        if (caller.ProgrammeId != programmeId) throw new Forbidden("your account is not scoped to this programme");
        return caller.Role switch
        {
            Roles.AreaLead => accounts.Where(a => db.Schools.Any(s => s.Id == a.SchoolId && s.AreaId == caller.AreaId)),
            Roles.SchoolBusinessManager => accounts.Where(a => a.SchoolId == caller.SchoolId),
            _ => throw new Forbidden("your role cannot read the ledger"),
        };
    }

    public static async Task<Account> FindVisibleAccountAsync(GrantLedgerDb db, CurrentUser caller, long accountId, CancellationToken ct)
    {
        var account = await db.Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == accountId, ct) ?? throw new NotFound("account", accountId);
        if (!await VisibleAccounts(db, caller, account.ProgrammeId).AnyAsync(a => a.Id == accountId, ct))
            throw new Forbidden("your account is not scoped to this account's school or area");
        return account;
    }

    /// <summary>Balances by value date (and, optionally, as recorded by a moment), from the transfers themselves.</summary>
    public static async Task<Dictionary<long, Balance>> BalancesAsOfAsync(GrantLedgerDb db, long programmeId, DateOnly asOf,
        DateTimeOffset? recordedBy, CancellationToken ct)
    {
        var rows = await db.Database.SqlQuery<BalanceRow>($"""
            SELECT account_id AS "AccountId", debits_posted AS "DebitsPosted", credits_posted AS "CreditsPosted",
                   debits_pending AS "DebitsPending", credits_pending AS "CreditsPending"
            FROM account_balances_as_of({programmeId}, {asOf}, {recordedBy?.ToUniversalTime() ?? DateTimeOffset.MaxValue})
            """).ToListAsync(ct);
        return rows.ToDictionary(r => r.AccountId, r => new Balance(r.DebitsPosted, r.CreditsPosted, r.DebitsPending, r.CreditsPending));
    }

    /// <summary>
    /// Balances by value date of a few accounts (a page, a school's), from their own transfers by the
    /// account indexes: the programme-wide sum reads every transfer of the programme (1.8 million at
    /// national scale) to use a handful.
    /// </summary>
    public static async Task<Dictionary<long, Balance>> BalancesAsOfAsync(GrantLedgerDb db, IReadOnlyCollection<long> accountIds, DateOnly asOf,
        CancellationToken ct)
    {
        if (accountIds.Count == 0) return [];
        var ids = accountIds.ToArray();
        var rows = await db.Database.SqlQuery<BalanceRow>($"""
            SELECT e.account_id AS "AccountId", sum(e.debits_posted)::bigint AS "DebitsPosted", sum(e.credits_posted)::bigint AS "CreditsPosted",
                   sum(e.debits_pending)::bigint AS "DebitsPending", sum(e.credits_pending)::bigint AS "CreditsPending"
              FROM transfer_effect e
             WHERE e.account_id = ANY({ids}) AND e.value_date <= {asOf}
             GROUP BY e.account_id
            """).ToListAsync(ct);
        return rows.ToDictionary(r => r.AccountId, r => new Balance(r.DebitsPosted, r.CreditsPosted, r.DebitsPending, r.CreditsPending));
    }

    /// <summary>The most lines a page of the API's statements holds (limit); without a limit, the statement is read whole.</summary>
    public static readonly WholeUnlessLimited StatementPage = new(5000);

    /// <summary>
    /// An account's statement between two value dates, ordered by value date then transfer id: whole, or a page of it. A page
    /// reads on after <paramref name="after"/> (the last line of the page before: its transfer id, whose value date is looked up),
    /// skips <paramref name="skip"/> lines (the statement page's numbered pages) and holds at most <paramref name="limit"/>
    /// (all when null). Its opening balance is the posted balance before its first line, summed by PostgreSQL over the
    /// account's earlier lines, so that a statement read page by page has the whole statement's running balances.
    /// nextCursor names the page's last line when more follow.
    /// </summary>
    public static async Task<Statement> StatementAsync(GrantLedgerDb db, CurrentUser caller, long accountId, DateOnly? from, DateOnly? to,
        long? after, int? limit, int skip, CancellationToken ct)
    {
        var (account, start, end) = await StatementOfAsync(db, caller, accountId, from, to, ct);
        var unit = Units.Parse(account.Unit);
        var sign = Sign(account);
        var first = after is { } cursor ? await CursorAsync(db, accountId, cursor, start, end, ct) : Position.At(start);
        var until = Position.After(end);
        var take = limit is { } n ? n + 1L : long.MaxValue;
        var reach = take == long.MaxValue ? long.MaxValue : skip + take;
        var lines = await db.Database.SqlQueryRaw<StatementRow>(take == long.MaxValue && skip == 0 ? WholeStatement : PageOfStatement,
            accountId, first.ValueDate, first.TransferId, until.ValueDate, until.TransferId, reach, skip, take).ToListAsync(ct);
        long? next = null;
        if (lines.Count > limit)
        {
            lines.RemoveAt(lines.Count - 1);
            next = lines[^1].TransferId;
        }
        var opening = await PostedBeforeAsync(db, accountId, sign,
            skip == 0 || lines.Count == 0 ? first : new Position(lines[0].ValueDate, lines[0].TransferId), ct);
        var running = opening;
        var result = new List<StatementLine>(lines.Count);
        foreach (var l in lines)
        {
            running += sign * (l.CreditsPosted - l.DebitsPosted);
            result.Add(new StatementLine(l.TransferId, l.EntryId, l.ValueDate, l.RecordedAt, l.Description, l.CauseType, l.CauseId, l.Kind,
                l.CounterAccount,
                l.DebitsPosted > 0 ? Amounts.Format(unit, l.DebitsPosted) : null,
                l.CreditsPosted > 0 ? Amounts.Format(unit, l.CreditsPosted) : null,
                l.PendingChange != 0 ? Amounts.Format(unit, l.PendingChange) : null,
                Amounts.Format(unit, running)));
        }
        return new Statement(AccountView.Of(account), start, end, Amounts.Format(unit, opening), Amounts.Format(unit, running), result, next);
    }

    private const string StatementLines = """
        SELECT e.transfer_id AS "TransferId", e.entry_id AS "EntryId", e.value_date AS "ValueDate", e.recorded_at AS "RecordedAt",
               j.description AS "Description", j.cause_type AS "CauseType", j.cause_id AS "CauseId", e.kind AS "Kind",
               o.code AS "CounterAccount", e.debits_posted AS "DebitsPosted", e.credits_posted AS "CreditsPosted",
               e.debits_pending + e.credits_pending AS "PendingChange"
          FROM transfer_effect e
          JOIN journal_entry j ON j.id = e.entry_id
          JOIN account o ON o.id = e.other_account_id
         WHERE e.account_id = {0} AND
        """;

    /// <summary>Every line from a place up to another: read whole, the account's lines are read as they come and sorted.</summary>
    private const string WholeRange = """
         (e.value_date, e.transfer_id) >= ({1}, {2}) AND (e.value_date, e.transfer_id) < ({3}, {4})
         ORDER BY e.value_date, e.transfer_id
        """;

    /// <summary>
    /// A page: its transfers found in order by the account's two indexes (debit side, credit side), each read only as far as the
    /// page reaches ({5}, skipping {6} and taking {7}), then their effects by id. Ordering transfer_effect itself reads and sorts
    /// every line of the account for any page: its UNION ALL of joins gives PostgreSQL no ordered path.
    /// </summary>
    private const string PageOfIds = """
         e.transfer_id = ANY (ARRAY(
               SELECT id FROM ((SELECT id, value_date FROM transfer
                                 WHERE debit_account_id = {0} AND (value_date, id) >= ({1}, {2}) AND (value_date, id) < ({3}, {4})
                                 ORDER BY value_date, id LIMIT {5})
                               UNION ALL
                               (SELECT id, value_date FROM transfer
                                 WHERE credit_account_id = {0} AND (value_date, id) >= ({1}, {2}) AND (value_date, id) < ({3}, {4})
                                 ORDER BY value_date, id LIMIT {5})) page
                ORDER BY value_date, id OFFSET {6} LIMIT {7}))
         ORDER BY e.value_date, e.transfer_id
        """;

    private const string WholeStatement = StatementLines + WholeRange;
    private const string PageOfStatement = StatementLines + PageOfIds;

    /// <summary>How many lines the statement has, and its opening and closing balances, without reading its lines (the page's caption).</summary>
    public static async Task<StatementTotals> StatementTotalsAsync(GrantLedgerDb db, CurrentUser caller, long accountId, DateOnly? from,
        DateOnly? to, CancellationToken ct)
    {
        var (account, start, end) = await StatementOfAsync(db, caller, accountId, from, to, ct);
        var unit = Units.Parse(account.Unit);
        var sign = Sign(account);
        var opening = await PostedBeforeAsync(db, accountId, sign, Position.At(start), ct);
        var (count, change) = await SpanAsync(db, accountId, sign, Position.At(start), Position.After(end), ct);
        return new StatementTotals(count, Amounts.Format(unit, opening), Amounts.Format(unit, opening + change));
    }

    private static async Task<(Account Account, DateOnly Start, DateOnly End)> StatementOfAsync(GrantLedgerDb db, CurrentUser caller,
        long accountId, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var account = await FindVisibleAccountAsync(db, caller, accountId, ct);
        var (start, end) = (from ?? DateOnly.MinValue, to ?? DateOnly.MaxValue);
        if (start > end) throw new InvalidInput("to", "must not be before from");
        return (account, start, end);
    }

    /// <summary>A line's posted change on the account's normal side is this times (credits less debits).</summary>
    private static long Sign(Account account) => LedgerCodes.ParseSide(account.NormalSide) == NormalSide.Credit ? 1 : -1;

    /// <summary>A place in a statement's order (value date, then transfer id): the lines from it on.</summary>
    private readonly record struct Position(DateOnly ValueDate, long TransferId)
    {
        public static Position At(DateOnly date) => new(date, 0);
        public static Position After(DateOnly date) => date == DateOnly.MaxValue ? new(date, long.MaxValue) : new(date.AddDays(1), 0);
    }

    /// <summary>
    /// Where a cursor's page begins: after a transfer of this account (its value date never changes: posted entries are never
    /// updated) dated within the statement's dates. Any other is not one this statement gave: reading on after it would skip
    /// or repeat lines.
    /// </summary>
    private static async Task<Position> CursorAsync(GrantLedgerDb db, long accountId, long after, DateOnly start, DateOnly end,
        CancellationToken ct)
    {
        var dated = await db.Database.SqlQuery<DateOnly>($"""
            SELECT value_date AS "Value" FROM transfer WHERE id = {after} AND {accountId} IN (debit_account_id, credit_account_id)
            """).ToListAsync(ct);
        if (dated is not [var date]) throw new InvalidInput("after", "is not a transfer of this account: pass the nextCursor of the page before");
        if (date < start || date > end)
            throw new InvalidInput("after", $"is a transfer dated {IsoDate.Of(date)}, outside the statement's dates: pass the nextCursor of the page before, with the same from and to");
        return new(date, after + 1);
    }

    /// <summary>The posted balance of the lines before a place.</summary>
    private static async Task<long> PostedBeforeAsync(GrantLedgerDb db, long accountId, long sign, Position before, CancellationToken ct) =>
        before == Position.At(DateOnly.MinValue) ? 0 : (await SpanAsync(db, accountId, sign, Position.At(DateOnly.MinValue), before, ct)).Posted;

    /// <summary>
    /// How many lines lie from one place up to another, and their posted change, summed by PostgreSQL over the account's
    /// own transfers through its two indexes (a posted transfer, or a hold's posting, moves its amount: as transfer_effect counts it).
    /// </summary>
    private static async Task<(int Count, long Posted)> SpanAsync(GrantLedgerDb db, long accountId, long sign, Position from, Position until,
        CancellationToken ct)
    {
        var span = (await db.Database.SqlQuery<Span>($"""
            SELECT count(*)::int AS "Count",
                   coalesce(sum(CASE WHEN kind IN ('posted', 'post_pending')
                                     THEN CASE WHEN credit_account_id = {accountId} THEN amount ELSE -amount END END), 0)::bigint AS "Change"
              FROM transfer
             WHERE (debit_account_id = {accountId} OR credit_account_id = {accountId})
               AND (value_date, id) >= ({from.ValueDate}, {from.TransferId}) AND (value_date, id) < ({until.ValueDate}, {until.TransferId})
            """).ToListAsync(ct)).Single();
        return (span.Count, sign * span.Change);
    }

    private sealed record Span(int Count, long Change);

    private sealed record StatementRow(long TransferId, long EntryId, DateOnly ValueDate, DateTimeOffset RecordedAt, string Description,
        string CauseType, long? CauseId, string Kind, string CounterAccount, long DebitsPosted, long CreditsPosted, long PendingChange);

    /// <summary>
    /// An as-of date is today (UK) or earlier, as an export's is: balances "as of" a later day would read as a fact what the
    /// ledger cannot know yet (422 naming asOf).
    /// </summary>
    public static void EnsureAsOfNotInTheFuture(DateOnly? asOf)
    {
        if (AsOfRefusal(asOf) is { } refusal) throw new InvalidInput("asOf", refusal);
    }

    /// <summary>Why an as-of date is refused ("cannot be in the future: …"), or null: the reads', the exports', a payment run's.</summary>
    public static string? AsOfRefusal(DateOnly? asOf) =>
        asOf is { } date ? NotInTheFuture.Refusal(date, UkTime.Today, "the ledger does not know it yet") : null;

    /// <summary>A trial balance's depth: how many of the codes' first segments its rows sum by.</summary>
    public const int LeastDepth = 1, MostDepth = 10;

    public static async Task<TrialBalance> TrialBalanceAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, DateOnly? asOf,
        DateTimeOffset? recordedBy, int? depth, CancellationToken ct)
    {
        EnsureAsOfNotInTheFuture(asOf);
        caller.EnsureWholeProgramme(programmeId);
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new NotFound("programme", programmeId);
        if (depth is < LeastDepth or > MostDepth) throw new InvalidInput("depth", $"must be between {LeastDepth} and {MostDepth}");
        var date = asOf ?? UkTime.Today;
        var balances = await BalancesAsOfAsync(db, programmeId, date, recordedBy, ct);
        var accounts = await db.Accounts.AsNoTracking().Where(a => a.ProgrammeId == programmeId)
            .Select(a => new { a.Id, a.Code, a.Unit }).ToListAsync(ct);

        var rows = accounts
            .Select(a => (Code: depth is { } d ? string.Join(':', a.Code.Split(':').Take(d)) : a.Code, a.Unit,
                          Balance: balances.GetValueOrDefault(a.Id)))
            .GroupBy(a => (a.Code, a.Unit))
            .Select(g => (g.Key.Code, g.Key.Unit, Balance: g.Aggregate(Balance.Zero, (sum, x) => sum + x.Balance)))
            .Where(r => r.Balance != Balance.Zero)
            .OrderBy(r => r.Unit).ThenBy(r => r.Code, StringComparer.Ordinal)
            .Select(r => new TrialBalanceRow(r.Code, r.Unit,
                Amounts.Format(r.Unit, r.Balance.DebitsPosted), Amounts.Format(r.Unit, r.Balance.CreditsPosted),
                Amounts.Format(r.Unit, r.Balance.DebitsPosted - r.Balance.CreditsPosted),
                Amounts.Format(r.Unit, r.Balance.DebitsPending), Amounts.Format(r.Unit, r.Balance.CreditsPending)))
            .ToList();

        var totals = accounts.GroupBy(a => a.Unit).OrderBy(g => g.Key).Select(g =>
        {
            var sum = g.Aggregate(Balance.Zero, (s, a) => s + balances.GetValueOrDefault(a.Id));
            return new UnitTotal(g.Key, Amounts.Format(g.Key, sum.DebitsPosted), Amounts.Format(g.Key, sum.CreditsPosted),
                Amounts.Format(g.Key, sum.DebitsPending), Amounts.Format(g.Key, sum.CreditsPending),
                sum.DebitsPosted == sum.CreditsPosted && sum.DebitsPending == sum.CreditsPending);
        }).ToList();
        return new TrialBalance(programmeId, date, recordedBy, totals, rows);
    }

    /// <summary>
    /// An entry with the transfers the caller may see: all of them for the programme's staff; for an area lead or a
    /// school, those debiting or crediting an account of theirs (the other side's code shown, as on their statement),
    /// so that a programme-wide allocation does not show them every other school's share.
    /// </summary>
    public static async Task<EntryView> EntryAsync(GrantLedgerDb db, CurrentUser caller, long entryId, CancellationToken ct)
    {
        var entry = await db.JournalEntries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == entryId, ct)
                    ?? throw new NotFound("journal entry", entryId);
        var transfers = db.Transfers.AsNoTracking().Where(t => t.EntryId == entryId);
        var whole = caller.SeesWholeProgramme(entry.ProgrammeId);
        if (!whole)
        {
            var visible = VisibleAccounts(db, caller, entry.ProgrammeId).Select(a => a.Id);
            transfers = transfers.Where(t => visible.Contains(t.DebitAccountId) || visible.Contains(t.CreditAccountId));
        }
        var shown = await transfers.OrderBy(t => t.Id).ToListAsync(ct);
        if (!whole && shown.Count == 0) throw new Forbidden("this entry does not touch any account you can see");
        var accountIds = shown.SelectMany(t => new[] { t.DebitAccountId, t.CreditAccountId }).Distinct().ToList();
        var codes = await db.Accounts.AsNoTracking().Where(a => accountIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Code, ct);
        var reversedBy = await db.JournalEntries.Where(e => e.ReversesEntryId == entryId).Select(e => (long?)e.Id).SingleOrDefaultAsync(ct);
        return new EntryView(entry.Id, entry.ProgrammeId, entry.ValueDate, entry.RecordedAt, entry.Description, entry.ActorId,
            entry.CauseType, entry.CauseId, entry.ReversesEntryId, reversedBy,
            shown.Select(t => new TransferView(t.Id, t.Unit, codes[t.DebitAccountId], codes[t.CreditAccountId],
                Amounts.Format(t.Unit, t.Amount), t.Kind, t.PendingId)).ToList());
    }
}
