namespace GrantLedger.Core.Ledger;

public enum NormalSide { Debit, Credit }

/// <summary>Limit flags, as in TigerBeetle: the database refuses any transfer that would break them.</summary>
public enum LimitKind
{
    None,
    /// <summary>Debits (posted and pending) must not exceed posted credits: a budget cannot be overspent.</summary>
    DebitsWithinCredits,
    /// <summary>Credits (posted and pending) must not exceed posted debits.</summary>
    CreditsWithinDebits,
}

/// <summary>The four running totals of an account.</summary>
public readonly record struct Balance(long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending)
{
    public static readonly Balance Zero = new(0, 0, 0, 0);

    /// <summary>Posted balance on the account's normal side.</summary>
    public long Posted(NormalSide side) => side == NormalSide.Credit ? CreditsPosted - DebitsPosted : DebitsPosted - CreditsPosted;

    /// <summary>What could still be spent from the account under its limit (posted less pending holds).</summary>
    public long Available(LimitKind limit) => limit switch
    {
        LimitKind.DebitsWithinCredits => CreditsPosted - DebitsPosted - DebitsPending,
        LimitKind.CreditsWithinDebits => DebitsPosted - CreditsPosted - CreditsPending,
        _ => long.MaxValue,
    };

    public bool WithinLimit(LimitKind limit) => limit switch
    {
        LimitKind.DebitsWithinCredits => DebitsPosted + DebitsPending <= CreditsPosted,
        LimitKind.CreditsWithinDebits => CreditsPosted + CreditsPending <= DebitsPosted,
        _ => true,
    };

    public static Balance operator +(Balance a, Balance b) => new(
        checked(a.DebitsPosted + b.DebitsPosted), checked(a.CreditsPosted + b.CreditsPosted),
        checked(a.DebitsPending + b.DebitsPending), checked(a.CreditsPending + b.CreditsPending));
}

public static class LedgerCodes
{
    public static string ToCode(this NormalSide side) => side == NormalSide.Debit ? "debit" : "credit";
    public static NormalSide ParseSide(string code) => code == "debit" ? NormalSide.Debit : NormalSide.Credit;

    public static string ToCode(this LimitKind limit) => limit switch
    {
        LimitKind.DebitsWithinCredits => "debits_within_credits",
        LimitKind.CreditsWithinDebits => "credits_within_debits",
        _ => "none",
    };

    public static LimitKind ParseLimit(string code) => code switch
    {
        "debits_within_credits" => LimitKind.DebitsWithinCredits,
        "credits_within_debits" => LimitKind.CreditsWithinDebits,
        _ => LimitKind.None,
    };
}
