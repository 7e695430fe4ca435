using System.Text;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Allocations;

namespace GrantLedger.Web.Ledger;

/// <summary>
/// An account and its balances. Amounts are strings in the account's unit: pounds with two places
/// (GBP) or whole minutes (MIN). "balance" is posted, on the account's normal side; "available" is
/// what its limit still allows (posted less pending holds), for limited accounts.
/// </summary>
public sealed record AccountView(
    long Id, string Code, string Name, string Unit, string NormalSide, string Limit,
    long? YearId, long? SchoolId, long? CategoryId,
    string DebitsPosted, string CreditsPosted, string DebitsPending, string CreditsPending,
    string Balance, string? Available)
{
    public static AccountView Of(Account a, Balance? asOf = null)
    {
        var unit = Units.Parse(a.Unit);
        var b = asOf ?? new Balance(a.DebitsPosted, a.CreditsPosted, a.DebitsPending, a.CreditsPending);
        var limit = LedgerCodes.ParseLimit(a.LimitKind);
        return new AccountView(a.Id, a.Code, a.Name, a.Unit, a.NormalSide, a.LimitKind, a.ProgrammeYearId, a.SchoolId, a.CategoryId,
            Amounts.Format(unit, b.DebitsPosted), Amounts.Format(unit, b.CreditsPosted),
            Amounts.Format(unit, b.DebitsPending), Amounts.Format(unit, b.CreditsPending),
            Amounts.Format(unit, b.Posted(LedgerCodes.ParseSide(a.NormalSide))),
            limit == LimitKind.None ? null : Amounts.Format(unit, b.Available(limit)));
    }
}

/// <summary>A page of accounts; nextCursor (null on the last page) is the "after" of the next.</summary>
public sealed record AccountPage(IReadOnlyList<AccountView> Items,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? NextCursor)
{
    /// <summary>The last account's code and unit, opaque as the journal search's cursor: a code alone is not unique.</summary>
    public static string Cursor(Account a) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{a.Unit}/{a.Code}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A cursor's code and unit; an old client's "after", a code alone, with no unit; null for none.</summary>
    public static (string Code, string? Unit)? ReadCursor(string? after)
    {
        if (after is null) return null;
        try
        {
            var padded = after.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            if (text.Length > 4 && text[3] == '/' && text[..3] is "GBP" or "MIN") return (text[4..], text[..3]);
        }
        catch (FormatException)
        {
        }
        return (after, null); // a code: they hold ':', never base64
    }
}

public sealed record StatementLine(
    long TransferId, long EntryId, DateOnly ValueDate, DateTimeOffset RecordedAt, string Description, string CauseType, long? CauseId,
    string Kind, string CounterAccount, string? Debit, string? Credit, string? PendingChange, string RunningBalance);

/// <summary>
/// An account's statement, or a page of it: the opening balance is the balance before its first line, the closing after its
/// last; nextCursor (null on the last page, and when read whole) is the "after" of the next page.
/// </summary>
public sealed record Statement(
    AccountView Account, DateOnly From, DateOnly To, string OpeningBalance, string ClosingBalance, IReadOnlyList<StatementLine> Lines,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] long? NextCursor);

/// <summary>How many lines a statement has, and its opening and closing balances.</summary>
public sealed record StatementTotals(int Lines, string OpeningBalance, string ClosingBalance);

/// <summary>
/// An account's (or, summed by depth, a group of accounts') posted debits and credits, in its unit as an account's are.
/// "balance" is debits less credits, whatever the account's normal side: a credit-normal account (a school's available)
/// reads negative here where its own balance reads positive, so that each unit's balances sum to zero.
/// </summary>
public sealed record TrialBalanceRow(string Account, string Unit, string Debits, string Credits, string Balance, string PendingDebits, string PendingCredits);

public sealed record UnitTotal(string Unit, string Debits, string Credits, string PendingDebits, string PendingCredits, bool Balanced);

public sealed record TrialBalance(long ProgrammeId, DateOnly AsOf, DateTimeOffset? RecordedBy, IReadOnlyList<UnitTotal> Totals,
    IReadOnlyList<TrialBalanceRow> Rows);

public sealed record TransferView(long Id, string Unit, string DebitAccount, string CreditAccount, string Amount, string Kind, long? PendingId);

public sealed record EntryView(long Id, long ProgrammeId, DateOnly ValueDate, DateTimeOffset RecordedAt, string Description, long? ActorId,
    string CauseType, long? CauseId, long? ReversesEntryId, long? ReversedByEntryId, IReadOnlyList<TransferView> Transfers);
