using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Ledger;

public enum TransferKind
{
    /// <summary>Moves the amount at once.</summary>
    Posted,
    /// <summary>Reserves the amount (a hold) until posted or voided.</summary>
    Pending,
    /// <summary>Posts a pending transfer, for its amount or less; the rest is released.</summary>
    PostPending,
    /// <summary>Releases all of a pending transfer.</summary>
    VoidPending,
}

/// <summary>Why money moved; each names the kind of record in <see cref="EntryDraft.CauseId"/>.</summary>
public enum CauseType { Funding, Allocation, Virement, Claim, PaymentRun, YearEnd, Reversal }

public sealed record TransferDraft(
    Unit Unit, long DebitAccountId, long CreditAccountId, long Amount,
    TransferKind Kind = TransferKind.Posted, long? PendingId = null);

/// <summary>One or more transfers to commit atomically.</summary>
public sealed record EntryDraft(
    long ProgrammeId, DateOnly ValueDate, string Description, long? ActorId,
    CauseType Cause, long? CauseId, IReadOnlyList<TransferDraft> Transfers, long? ReversesEntryId = null)
{
    /// <summary>Checks what can be checked without the ledger's state; the database checks the rest again.</summary>
    public void Validate()
    {
        if (Transfers.Count == 0) throw new RuleBroken("entry-without-transfers", "a journal entry needs at least one transfer");
        if (string.IsNullOrWhiteSpace(Description) || Description.Length > 500)
            throw new InvalidInput("description", "must be between 1 and 500 characters");
        if ((Cause == CauseType.Reversal) != (ReversesEntryId is not null))
            throw new ArgumentException("a reversal, and only a reversal, names the entry it reverses");
        for (var i = 0; i < Transfers.Count; i++)
        {
            var t = Transfers[i];
            if (t.Amount <= 0) throw new InvalidInput($"transfers[{i}].amount", "must be more than zero");
            if (t.DebitAccountId == t.CreditAccountId)
                throw new InvalidInput($"transfers[{i}]", "a transfer needs two different accounts");
            if ((t.Kind is TransferKind.PostPending or TransferKind.VoidPending) != (t.PendingId is not null))
                throw new ArgumentException("a post or void, and only those, names the pending transfer it resolves");
        }
    }

    /// <summary>The entry that undoes this one's posted effect: every posted transfer mirrored.</summary>
    public static EntryDraft Reversal(long programmeId, long entryId, DateOnly valueDate, string reason, long? actorId,
        IEnumerable<TransferDraft> postedTransfers) =>
        new(programmeId, valueDate, reason, actorId, CauseType.Reversal, entryId,
            postedTransfers.Select(t => new TransferDraft(t.Unit, t.CreditAccountId, t.DebitAccountId, t.Amount)).ToList(),
            entryId);
}

public static class TransferKinds
{
    public static string ToCode(this TransferKind kind) => kind switch
    {
        TransferKind.Pending => "pending",
        TransferKind.PostPending => "post_pending",
        TransferKind.VoidPending => "void_pending",
        _ => "posted",
    };

    public static TransferKind Parse(string code) => code switch
    {
        "pending" => TransferKind.Pending,
        "post_pending" => TransferKind.PostPending,
        "void_pending" => TransferKind.VoidPending,
        _ => TransferKind.Posted,
    };

    public static string ToCode(this CauseType cause) => cause switch
    {
        CauseType.PaymentRun => "payment_run",
        CauseType.YearEnd => "year_end",
        _ => cause.ToString().ToLowerInvariant(),
    };

    public static CauseType ParseCause(string code) => code switch
    {
        "payment_run" => CauseType.PaymentRun,
        "year_end" => CauseType.YearEnd,
        _ => Enum.Parse<CauseType>(code, ignoreCase: true),
    };
}
