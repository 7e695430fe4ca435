using GrantLedger.Web.Ledger;

namespace GrantLedger.Web.Allocations;

/// <summary>
/// A school's budget in one category of a year, from its accounts' balances: one reading for the school's dashboard, a
/// draft claim's budget and the reconciliation's budgets. A reversal of an allocation, a virement out and a year-end lapse
/// debit the …:available account as an approval does; read by direction, they showed as spending. So Allocated is the
/// available account's posted balance plus what claims were approved from it, and Approved is read from the account
/// that only approvals credit (…:payable for money, …:used for staff time).
/// </summary>
/// <param name="AvailablePosted">the …:available account's posted credits less its posted debits</param>
/// <param name="Reserved">its pending debits: held by submitted claims</param>
/// <param name="Approved">the …:payable (or …:used) account's posted credits: approved claims, paid or not</param>
/// <param name="Paid">the …:paid account's posted credits</param>
public readonly record struct BudgetFigures(long AvailablePosted, long Reserved, long Approved, long Paid)
{
    /// <summary>Allocations net of their reversals, virements and year-end lapses.</summary>
    public long Allocated => AvailablePosted + Approved;
    public long Available => AvailablePosted - Reserved;
    public long Payable => Approved - Paid;
    /// <summary>Reserved and approved: what claims have taken of the allocation.</summary>
    public long Committed => Reserved + Approved;

    /// <summary>These figures with one more of the category's accounts counted, known by the last segment of its code.</summary>
    public BudgetFigures With(string leaf, long debitsPosted, long creditsPosted, long debitsPending) => leaf switch
    {
        "available" => this with { AvailablePosted = AvailablePosted + creditsPosted - debitsPosted, Reserved = Reserved + debitsPending },
        "payable" or "used" => this with { Approved = Approved + creditsPosted },
        "paid" => this with { Paid = Paid + creditsPosted },
        _ => this,
    };

    /// <summary>The figures of one school's category from its accounts' current balances.</summary>
    public static BudgetFigures Of(IEnumerable<Account> accounts) =>
        accounts.Aggregate(new BudgetFigures(), (f, a) => f.With(a.Code[(a.Code.LastIndexOf(':') + 1)..], a.DebitsPosted, a.CreditsPosted, a.DebitsPending));
}
