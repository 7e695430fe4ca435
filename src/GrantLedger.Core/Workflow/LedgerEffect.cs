namespace GrantLedger.Core.Workflow;

/// <summary>
/// What a transition does to the ledger. The lifecycle only names it; the host writes the journal
/// entry in the same transaction as the state change (see docs/workflows.md).
/// </summary>
public enum LedgerEffect
{
    None,
    /// <summary>Reserve the claim's total: a pending transfer from the school's available account to payable.</summary>
    ReserveHold,
    /// <summary>Post the pending transfer, for the sanctioned amount; the rest is released.</summary>
    PostHold,
    /// <summary>Void the pending transfer: the whole amount returns to available.</summary>
    VoidHold,
    /// <summary>Pay the approved amount: a posted transfer from the school's payable account to programme paid.</summary>
    PostPayment,
}
