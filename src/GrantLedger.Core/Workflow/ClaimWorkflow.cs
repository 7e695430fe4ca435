using static GrantLedger.Core.Workflow.ClaimState;
using static GrantLedger.Core.Workflow.ClaimTrigger;
using static GrantLedger.Core.Workflow.LedgerEffect;

namespace GrantLedger.Core.Workflow;

public enum ClaimState { Draft, Submitted, UnderReview, AwaitingSecondApproval, Approved, Rejected, Withdrawn, InPaymentRun, Paid }

public enum ClaimTrigger
{
    Submit, Withdraw, StartReview, Approve, SecondApprove, Return, Reject,
    AddToPaymentRun, RemoveFromPaymentRun, MarkPaid, PaymentFailed,
}

/// <summary>
/// What the claim's guards look at. <paramref name="Total"/> is the amount claimed (what the lines
/// ask, whatever a reviewer sanctions: approving a penny less must not avoid a second approval); a
/// null <paramref name="SecondApprovalThreshold"/> means the programme needs no second approval. <paramref name="Reason"/> comes with return and reject.
/// </summary>
public sealed record ClaimContext(
    Actor Actor, long CreatedBy, long? SubmittedBy, long? FirstApprovedBy,
    Money.Money Total, Money.Money? SecondApprovalThreshold, string? Reason = null) : IWorkflowContext;

/// <summary>
/// A claim from draft to paid. Submitting reserves the total (a pending transfer); approval posts it;
/// return, rejection and withdrawal void it; marking paid moves it from payable to paid.
/// </summary>
public static class ClaimWorkflow
{
    private static readonly Guard<ClaimContext> OwnSchool = Scope<ClaimContext>.OwnSchool;
    private static readonly Guard<ClaimContext> OwnArea = Scope<ClaimContext>.OwnArea;
    private static readonly Guard<ClaimContext> OwnProgramme = Scope<ClaimContext>.OwnProgramme;

    public static readonly Guard<ClaimContext> ReviewerNotSubmitter = Guard<ClaimContext>.Rule("reviewer-not-submitter",
        "a reviewer cannot review a claim they created or submitted",
        c => c.Actor.UserId != c.CreatedBy && c.Actor.UserId != c.SubmittedBy);

    public static readonly Guard<ClaimContext> SecondApproverIndependent = Guard<ClaimContext>.Rule("second-approver-independent",
        "the second approval must come from someone other than the first approver, the creator and the submitter",
        c => c.Actor.UserId != c.FirstApprovedBy && c.Actor.UserId != c.CreatedBy && c.Actor.UserId != c.SubmittedBy);

    public static readonly Guard<ClaimContext> BelowThreshold = Guard<ClaimContext>.Rule("below-second-approval-threshold",
        "the amount claimed is at or above the programme's second-approval threshold, whatever is sanctioned",
        c => c.SecondApprovalThreshold is not { } threshold || c.Total < threshold);

    public static readonly Guard<ClaimContext> NeedsSecondApproval = Guard<ClaimContext>.Rule("needs-second-approval",
        "the amount claimed is below the programme's second-approval threshold, or the programme has none",
        c => c.SecondApprovalThreshold is { } threshold && c.Total >= threshold);

    public static readonly Guard<ClaimContext> ReasonGiven = Guard<ClaimContext>.Input("reason-required", "reason",
        "give the reason: the school sees it", c => !string.IsNullOrWhiteSpace(c.Reason));

    private static readonly string[] School = [Role.SchoolBusinessManager];
    private static readonly string[] Lead = [Role.AreaLead];
    private static readonly string[] Admin = [Role.ProgrammeAdmin];
    private static readonly string[] Finance = [Role.FunderFinance];

    public static readonly Lifecycle<ClaimState, ClaimTrigger, ClaimContext> Lifecycle =
        new Lifecycle<ClaimState, ClaimTrigger, ClaimContext>("claim", Draft)
            //      from                    trigger               to                      who      guards                                                effect
            .Permit(Draft,                  Submit,               Submitted,              School,  [OwnSchool],                                          ReserveHold)
            .Permit(Submitted,              Withdraw,             Withdrawn,              School,  [OwnSchool],                                          VoidHold)
            .Permit(Submitted,              StartReview,          UnderReview,            Lead,    [OwnArea, ReviewerNotSubmitter])
            .Permit(UnderReview,            Approve,              Approved,               Lead,    [OwnArea, ReviewerNotSubmitter, BelowThreshold],      PostHold)
            .Permit(UnderReview,            Approve,              AwaitingSecondApproval, Lead,    [OwnArea, ReviewerNotSubmitter, NeedsSecondApproval])
            .Permit(UnderReview,            Return,               Draft,                  Lead,    [OwnArea, ReviewerNotSubmitter, ReasonGiven],         VoidHold)
            .Permit(UnderReview,            Reject,               Rejected,               Lead,    [OwnArea, ReviewerNotSubmitter, ReasonGiven],         VoidHold)
            .Permit(AwaitingSecondApproval, SecondApprove,        Approved,               Admin,   [OwnProgramme, SecondApproverIndependent],            PostHold)
            .Permit(AwaitingSecondApproval, Return,               Draft,                  Admin,   [OwnProgramme, SecondApproverIndependent, ReasonGiven], VoidHold)
            .Permit(AwaitingSecondApproval, Reject,               Rejected,               Admin,   [OwnProgramme, SecondApproverIndependent, ReasonGiven], VoidHold)
            .Permit(Approved,               AddToPaymentRun,      InPaymentRun,           Finance, [OwnProgramme])
            .Permit(InPaymentRun,           RemoveFromPaymentRun, Approved,               Finance, [OwnProgramme])
            .Permit(InPaymentRun,           MarkPaid,             Paid,                   Finance, [OwnProgramme],                                       PostPayment)
            .Permit(InPaymentRun,           PaymentFailed,        Approved,               Finance, [OwnProgramme])
            // fired by a payment run as it is built or cancelled, and by its payment confirmations
            .Internal(AddToPaymentRun, RemoveFromPaymentRun, MarkPaid, PaymentFailed);
}
