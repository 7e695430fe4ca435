using static GrantLedger.Core.Workflow.PaymentRunState;
using static GrantLedger.Core.Workflow.PaymentRunTrigger;

namespace GrantLedger.Core.Workflow;

public enum PaymentRunState { Built, Approved, Exported, Paid, Cancelled }

public enum PaymentRunTrigger { Approve, Export, MarkPaid, Cancel }

/// <summary>
/// What a payment run's guards look at. <paramref name="EveryPayeeConfirmed"/>: the imported payment
/// confirmations match every payee of the run.
/// </summary>
public sealed record PaymentRunContext(Actor Actor, long BuiltBy, bool EveryPayeeConfirmed = false) : IWorkflowContext;

/// <summary>
/// A payment run, built and approved by two different finance users (maker-checker). The run's own
/// rows move no money: the host fires the matching trigger on each of its claims (mark-paid posts each
/// claim's payment; cancel removes each claim from the run), in the same transaction.
/// </summary>
public static class PaymentRunWorkflow
{
    private static readonly Guard<PaymentRunContext> OwnProgramme = Scope<PaymentRunContext>.OwnProgramme;

    public static readonly Guard<PaymentRunContext> ApproverNotBuilder = Guard<PaymentRunContext>.Rule("approver-not-builder",
        "the finance user who built a payment run cannot approve it", c => c.Actor.UserId != c.BuiltBy);

    public static readonly Guard<PaymentRunContext> PayeesConfirmed = Guard<PaymentRunContext>.Rule("payees-confirmed",
        "a payment run is paid only when every payee's payment is confirmed", c => c.EveryPayeeConfirmed);

    private static readonly string[] Finance = [Role.FunderFinance];

    public static readonly Lifecycle<PaymentRunState, PaymentRunTrigger, PaymentRunContext> Lifecycle =
        new Lifecycle<PaymentRunState, PaymentRunTrigger, PaymentRunContext>("payment run", Built)
            //      from      trigger   to         who      guards
            .Permit(Built,    Approve,  Approved,  Finance, [OwnProgramme, ApproverNotBuilder])
            .Permit(Approved, Export,   Exported,  Finance, [OwnProgramme])
            .Permit(Exported, MarkPaid, Paid,      Finance, [OwnProgramme, PayeesConfirmed])
            .Permit(Built,    Cancel,   Cancelled, Finance, [OwnProgramme])   // until exported:
            .Permit(Approved, Cancel,   Cancelled, Finance, [OwnProgramme])   // the file has not left
            .Internal(MarkPaid);                                              // by the payment confirmations
}
