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

    public static async Task<Statement> StatementAsync(GrantLedgerDb db, CurrentUser caller, long accountId, DateOnly? from, DateOnly? to,
        CancellationToken ct)
    {
        var account = await FindVisibleAccountAsync(db, caller, accountId, ct);
        var (start, end) = (from ?? DateOnly.MinValue, to ?? DateOnly.MaxValue);
        if (start > end) throw new InvalidInput("to", "must not be before from");
        var unit = Units.Parse(account.Unit);
        var side = LedgerCodes.ParseSide(account.NormalSide);
        // The opening balance from this account's own transfers (its indexes on account and value date), not the programme's.
        var opening = start == DateOnly.MinValue ? Balance.Zero : (await db.Database.SqlQuery<BalanceRow>($"""
            SELECT {accountId} AS "AccountId", coalesce(sum(debits_posted), 0)::bigint AS "DebitsPosted",
                   coalesce(sum(credits_posted), 0)::bigint AS "CreditsPosted", coalesce(sum(debits_pending), 0)::bigint AS "DebitsPending",
                   coalesce(sum(credits_pending), 0)::bigint AS "CreditsPending"
              FROM transfer_effect WHERE account_id = {accountId} AND value_date < {start}
            """).ToListAsync(ct)).Select(r => new Balance(r.DebitsPosted, r.CreditsPosted, r.DebitsPending, r.CreditsPending)).Single();

        var lines = await db.Database.SqlQuery<StatementRow>($"""
            SELECT e.transfer_id AS "TransferId", e.entry_id AS "EntryId", e.value_date AS "ValueDate", e.recorded_at AS "RecordedAt",
                   j.description AS "Description", j.cause_type AS "CauseType", j.cause_id AS "CauseId", e.kind AS "Kind",
                   o.code AS "CounterAccount", e.side AS "Side", e.amount AS "Amount",
                   e.debits_posted AS "DebitsPosted", e.credits_posted AS "CreditsPosted",
                   e.debits_pending + e.credits_pending AS "PendingChange"
            FROM transfer_effect e
            JOIN journal_entry j ON j.id = e.entry_id
            JOIN account o ON o.id = e.other_account_id
            WHERE e.account_id = {accountId} AND e.value_date BETWEEN {start} AND {end}
            ORDER BY e.value_date, e.transfer_id
            """).ToListAsync(ct);

        var running = opening.Posted(side);
        var result = new List<StatementLine>(lines.Count);
        foreach (var l in lines)
        {
            running += side == NormalSide.Credit ? l.CreditsPosted - l.DebitsPosted : l.DebitsPosted - l.CreditsPosted;
            result.Add(new StatementLine(l.TransferId, l.EntryId, l.ValueDate, l.RecordedAt, l.Description, l.CauseType, l.CauseId, l.Kind,
                l.CounterAccount,
                l.DebitsPosted > 0 ? Amounts.Format(unit, l.DebitsPosted) : null,
                l.CreditsPosted > 0 ? Amounts.Format(unit, l.CreditsPosted) : null,
                l.PendingChange != 0 ? Amounts.Format(unit, l.PendingChange) : null,
                Amounts.Format(unit, running)));
        }
        return new Statement(AccountView.Of(account), start, end, Amounts.Format(unit, opening.Posted(side)), Amounts.Format(unit, running), result);
    }

    private sealed record StatementRow(long TransferId, long EntryId, DateOnly ValueDate, DateTimeOffset RecordedAt, string Description,
        string CauseType, long? CauseId, string Kind, string CounterAccount, string Side, long Amount,
        long DebitsPosted, long CreditsPosted, long PendingChange);

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

    public static async Task<TrialBalance> TrialBalanceAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, DateOnly? asOf,
        DateTimeOffset? recordedBy, int? depth, CancellationToken ct)
    {
        EnsureAsOfNotInTheFuture(asOf);
        caller.EnsureWholeProgramme(programmeId);
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new NotFound("programme", programmeId);
        if (depth is < 1 or > 10) throw new InvalidInput("depth", "must be between 1 and 10");
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
