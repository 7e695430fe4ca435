using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using static GrantLedger.Core.Tests.Workflow.People;
using static GrantLedger.Core.Workflow.ClaimState;
using static GrantLedger.Core.Workflow.ClaimTrigger;
using Pounds = GrantLedger.Core.Money.Money;

namespace GrantLedger.Core.Tests.Workflow;

public class ClaimWorkflowTests
{
    private static readonly Lifecycle<ClaimState, ClaimTrigger, ClaimContext> Claim = ClaimWorkflow.Lifecycle;

    /// <summary>A claim created and submitted by the school manager, £500, in a programme without a threshold.</summary>
    private static ClaimContext By(Actor actor, long createdBy = 1, long? submittedBy = 1, long? firstApprovedBy = null,
        long totalPounds = 500, long? thresholdPounds = null, string? reason = null) =>
        new(actor, createdBy, submittedBy, firstApprovedBy, Pounds.FromPounds(totalPounds),
            thresholdPounds is { } t ? Pounds.FromPounds(t) : null, reason);

    private static void Fires(ClaimState from, ClaimTrigger trigger, ClaimContext context, ClaimState to, LedgerEffect effect)
    {
        var row = Claim.Fire(from, trigger, context);
        Assert.Equal((to, effect), (row.To, row.Effect));
    }

    // Every row fires

    [Fact] public void Submit_FromDraft_BySchoolManager_ReservesTheHold() =>
        Fires(Draft, Submit, By(SchoolManager, submittedBy: null), Submitted, LedgerEffect.ReserveHold);

    [Fact] public void Withdraw_FromSubmitted_BySchoolManager_VoidsTheHold() =>
        Fires(Submitted, Withdraw, By(SchoolManager), Withdrawn, LedgerEffect.VoidHold);

    [Fact] public void StartReview_FromSubmitted_ByAreaLead_MovesNoMoney() =>
        Fires(Submitted, StartReview, By(AreaLead), UnderReview, LedgerEffect.None);

    [Fact] public void Approve_WithoutThreshold_PostsTheHold() =>
        Fires(UnderReview, Approve, By(AreaLead), Approved, LedgerEffect.PostHold);

    [Fact] public void Return_FromUnderReview_WithReason_GoesBackToDraftAndVoidsTheHold() =>
        Fires(UnderReview, Return, By(AreaLead, reason: "dates missing"), Draft, LedgerEffect.VoidHold);

    [Fact] public void Reject_FromUnderReview_WithReason_VoidsTheHold() =>
        Fires(UnderReview, Reject, By(AreaLead, reason: "not in the plan"), Rejected, LedgerEffect.VoidHold);

    [Fact] public void SecondApprove_ByAnotherAdmin_PostsTheHold() =>
        Fires(AwaitingSecondApproval, SecondApprove, By(Admin, firstApprovedBy: 3), Approved, LedgerEffect.PostHold);

    [Fact] public void Return_FromAwaitingSecondApproval_ByAdmin_GoesBackToDraft() =>
        Fires(AwaitingSecondApproval, Return, By(Admin, firstApprovedBy: 3, reason: "split it"), Draft, LedgerEffect.VoidHold);

    [Fact] public void Reject_FromAwaitingSecondApproval_ByAdmin_VoidsTheHold() =>
        Fires(AwaitingSecondApproval, Reject, By(Admin, firstApprovedBy: 3, reason: "duplicate"), Rejected, LedgerEffect.VoidHold);

    [Fact] public void AddToPaymentRun_ByFinance_MovesNoMoney() =>
        Fires(Approved, AddToPaymentRun, By(Finance), InPaymentRun, LedgerEffect.None);

    [Fact] public void RemoveFromPaymentRun_ByFinance_ReturnsTheClaimToApproved() =>
        Fires(InPaymentRun, RemoveFromPaymentRun, By(Finance), Approved, LedgerEffect.None);

    [Fact] public void MarkPaid_ByFinance_PostsThePayment() =>
        Fires(InPaymentRun, MarkPaid, By(Finance), Paid, LedgerEffect.PostPayment);

    [Fact] public void PaymentFailed_ByFinance_ReturnsTheClaimToApproved() =>
        Fires(InPaymentRun, PaymentFailed, By(Finance), Approved, LedgerEffect.None);

    // Threshold routing

    [Theory]
    [InlineData(999L, 1000L, Approved)]
    [InlineData(1000L, 1000L, AwaitingSecondApproval)]
    [InlineData(1001L, 1000L, AwaitingSecondApproval)]
    [InlineData(1_000_000L, null, Approved)]
    public void Approve_RoutesBySecondApprovalThreshold(long total, long? threshold, ClaimState expected)
    {
        var row = Claim.Fire(UnderReview, Approve, By(AreaLead, totalPounds: total, thresholdPounds: threshold));
        Assert.Equal(expected, row.To);
        Assert.Equal(expected == Approved ? LedgerEffect.PostHold : LedgerEffect.None, row.Effect);
    }

    [Fact]
    public void Approve_OnePennyBelowThreshold_NeedsNoSecondApproval()
    {
        var context = By(AreaLead, thresholdPounds: 1000) with { Total = new Pounds(1000_00 - 1) };
        Assert.Equal(Approved, Claim.Fire(UnderReview, Approve, context).To);
    }

    // Illegal triggers

    [Fact]
    public void Submit_WhenUnderReview_BySchoolManager_Returns409SayingNothingIsOpenToThem()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, Submit, By(SchoolManager)));
        Assert.Equal(("illegal-transition", 409), (refusal.Rule, refusal.Status));
        Assert.Equal("claim", refusal.Details["record"]); // a page says "This claim is already under review" from it
        Assert.Equal("under-review", refusal.Details["state"]);
        Assert.Equal("submit", refusal.Details["trigger"]);
        Assert.Empty(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
        Assert.Equal("The claim is 'under-review', where 'submit' is not possible. No step of its workflow is open to you now.",
            refusal.Message);
    }

    [Fact]
    public void Submit_WhenUnderReview_ByItsAreaLead_Returns409NamingWhatTheLeadCanDo()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, Submit, By(AreaLead)));
        Assert.Equal(["approve", "return", "reject"], Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
        Assert.Equal("The claim is 'under-review', where 'submit' is not possible. What you can do now: approve, return, reject.",
            refusal.Message);
    }

    [Fact]
    public void Approve_OnADraft_Returns409WithSubmitForItsSchoolOnly()
    {
        var bySchool = Assert.Throws<RuleBroken>(() => Claim.Fire(Draft, Approve, By(SchoolManager, submittedBy: null)));
        Assert.Equal(["submit"], Assert.IsType<string[]>(bySchool.Details["allowedTriggers"]));
        Assert.EndsWith("What you can do now: submit.", bySchool.Message);
        foreach (var actor in Everyone.Where(a => a != SchoolManager && a != Auditor))
        {
            var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(Draft, Approve, By(actor, submittedBy: null)));
            Assert.True(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]).Length == 0, actor.ToString());
            Assert.EndsWith("No step of its workflow is open to you now.", refusal.Message);
        }
        // a role that takes no step of the workflow is refused whatever the state, not told where the claim stands
        Assert.Equal("no step of a claim's workflow is for your role, auditor",
            Assert.Throws<Forbidden>(() => Claim.Fire(Draft, Approve, By(Auditor, submittedBy: null))).Message);
    }

    [Fact]
    public void Approve_OnAnApprovedOrPaidClaim_SaysTheStepIsPassed()
    {
        Assert.Equal(true, Assert.Throws<RuleBroken>(() => Claim.Fire(Approved, Approve, By(AreaLead))).Details["passed"]);
        Assert.Equal(true, Assert.Throws<RuleBroken>(() => Claim.Fire(Paid, Approve, By(AreaLead))).Details["passed"]);
    }

    [Fact]
    public void Withdraw_InAPaymentRun_ByFinance_Returns409WithoutTheTriggersOnlyTheServiceFires()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(InPaymentRun, Withdraw, By(Finance)));
        Assert.Empty(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
        Assert.DoesNotContain("mark-paid", refusal.Message);
    }

    [Fact]
    public void Fire_ByTheNameOfATriggerOnlyTheServiceFires_Returns409LikeAnUnknownName()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(InPaymentRun, "mark-paid", By(Finance)));
        Assert.Equal(("illegal-transition", 409, "mark-paid"), (refusal.Rule, refusal.Status, refusal.Details["trigger"]));
    }

    [Theory]
    [InlineData(Rejected)]
    [InlineData(Withdrawn)]
    [InlineData(Paid)]
    public void AnyTrigger_OnAFinalClaim_Returns409WithNoTriggersAllowed(ClaimState final)
    {
        foreach (var trigger in Enum.GetValues<ClaimTrigger>())
        {
            var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(final, trigger, By(Admin, reason: "x")));
            Assert.Equal(("illegal-transition", 409), (refusal.Rule, refusal.Status));
            Assert.Empty(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
            Assert.Contains("final", refusal.Message);
        }
    }

    [Fact]
    public void Withdraw_OnceUnderReview_IsNotPossible()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, Withdraw, By(SchoolManager)));
        Assert.Equal("illegal-transition", refusal.Rule);
    }

    [Fact]
    public void Fire_ByUnknownTriggerName_Returns409LikeAnIllegalTrigger()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(Draft, "approve-everything", By(SchoolManager)));
        Assert.Equal(("illegal-transition", 409, "approve-everything"), (refusal.Rule, refusal.Status, refusal.Details["trigger"]));
        Assert.Equal(["submit"], Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
    }

    [Fact]
    public void Fire_ByKebabName_FiresTheTrigger() =>
        Assert.Equal(Approved, Claim.Fire(AwaitingSecondApproval, "second-approve", By(Admin, firstApprovedBy: 3)).To);

    // Wrong roles

    [Theory]
    [InlineData(Draft, Submit, Role.AreaLead)]
    [InlineData(Submitted, StartReview, Role.SchoolBusinessManager)]
    [InlineData(UnderReview, Approve, Role.ProgrammeAdmin)]
    [InlineData(UnderReview, Approve, Role.FunderFinance)]
    [InlineData(AwaitingSecondApproval, SecondApprove, Role.AreaLead)]
    [InlineData(Approved, AddToPaymentRun, Role.AreaLead)]
    [InlineData(InPaymentRun, MarkPaid, Role.Auditor)]
    public void Trigger_ByARoleNotOnItsRow_IsForbidden(ClaimState state, ClaimTrigger trigger, string role) =>
        Assert.Throws<Forbidden>(() => Claim.Fire(state, trigger, By(new Actor(42, role, InScope: true), reason: "x")));

    [Fact]
    public void Approve_BySchoolManager_IsForbiddenNamingWhoMay()
    {
        var refusal = Assert.Throws<Forbidden>(() => Claim.Fire(UnderReview, Approve, By(SchoolManager)));
        Assert.Equal("'approve' on a claim is for area lead; your role is school business manager", refusal.Message);
    }

    [Fact]
    public void Return_FromUnderReview_ByAdmin_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(UnderReview, Return, By(Admin, reason: "x")));

    // Scope guards

    [Fact] public void Submit_ByManagerOfAnotherSchool_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(Draft, Submit, By(OtherSchoolManager)));

    [Fact]
    public void StartReview_ByLeadOfAnotherArea_IsForbiddenWithTheScopeReason()
    {
        var refusal = Assert.Throws<Forbidden>(() => Claim.Fire(Submitted, StartReview, By(OtherAreaLead)));
        Assert.Equal(Scope<ClaimContext>.OwnArea.Reason, refusal.Message);
    }

    [Fact] public void Approve_ByLeadOfAnotherArea_IsForbiddenEvenAboveThreshold() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(UnderReview, Approve, By(OtherAreaLead, totalPounds: 5000, thresholdPounds: 1000)));

    [Fact] public void SecondApprove_ByAdminOfAnotherProgramme_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(AwaitingSecondApproval, SecondApprove, By(OtherAdmin, firstApprovedBy: 3)));

    [Fact] public void MarkPaid_ByFinanceOfAnotherProgramme_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(InPaymentRun, MarkPaid, By(OtherFinance)));

    // Segregation of duties

    [Fact]
    public void StartReview_WhenReviewerSubmittedTheClaim_IsRefused()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(Submitted, StartReview, By(AreaLead, submittedBy: AreaLead.UserId)));
        Assert.Equal(("reviewer-not-submitter", 409), (refusal.Rule, refusal.Status));
        Assert.Equal("a reviewer cannot review a claim they created or submitted", refusal.Message);
        Assert.Equal("submitted", refusal.Details["state"]);
    }

    [Fact]
    public void Approve_WhenReviewerCreatedTheClaim_IsRefused()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, Approve, By(AreaLead, createdBy: AreaLead.UserId)));
        Assert.Equal("reviewer-not-submitter", refusal.Rule);
    }

    [Fact]
    public void Approve_AboveThreshold_WhenReviewerSubmittedTheClaim_IsRefusedForSegregationNotThreshold()
    {
        var context = By(AreaLead, submittedBy: AreaLead.UserId, totalPounds: 5000, thresholdPounds: 1000);
        Assert.Equal("reviewer-not-submitter", Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, Approve, context)).Rule);
    }

    [Theory]
    [InlineData(Return)]
    [InlineData(Reject)]
    public void ReturnOrReject_WhenReviewerSubmittedTheClaim_IsRefused(ClaimTrigger trigger) =>
        Assert.Equal("reviewer-not-submitter",
            Assert.Throws<RuleBroken>(() => Claim.Fire(UnderReview, trigger, By(AreaLead, submittedBy: AreaLead.UserId, reason: "x"))).Rule);

    [Theory]
    [InlineData(5, 1, 1)]   // the first approver
    [InlineData(3, 5, 1)]   // the creator
    [InlineData(3, 1, 5)]   // the submitter
    public void SecondApprove_ByFirstApproverCreatorOrSubmitter_IsRefused(long firstApprovedBy, long createdBy, long submittedBy)
    {
        var context = By(Admin, createdBy: createdBy, submittedBy: submittedBy, firstApprovedBy: firstApprovedBy);
        var refusal = Assert.Throws<RuleBroken>(() => Claim.Fire(AwaitingSecondApproval, SecondApprove, context));
        Assert.Equal(("second-approver-independent", 409), (refusal.Rule, refusal.Status));
        Assert.Equal(ClaimWorkflow.SecondApproverIndependent.Reason, refusal.Message);
    }

    // Reasons

    [Theory]
    [InlineData(UnderReview, Return, null)]
    [InlineData(UnderReview, Reject, "")]
    [InlineData(AwaitingSecondApproval, Return, "  ")]
    [InlineData(AwaitingSecondApproval, Reject, null)]
    public void ReturnOrReject_WithoutReason_IsInvalidOnTheReasonField(ClaimState state, ClaimTrigger trigger, string? reason)
    {
        var actor = state == UnderReview ? AreaLead : Admin;
        var refusal = Assert.Throws<InvalidInput>(() => Claim.Fire(state, trigger, By(actor, firstApprovedBy: 3, reason: reason)));
        Assert.Equal(["give the reason: the school sees it"], refusal.Errors["reason"]);
    }

    [Fact]
    public void Reject_WithoutReason_ByLeadOfAnotherArea_IsForbiddenBeforeTheReasonIsAskedFor() =>
        Assert.Throws<Forbidden>(() => Claim.Fire(UnderReview, Reject, By(OtherAreaLead)));

    // What each role may do now: one in-scope actor per role, a claim created and submitted by the
    // school manager, first approved by the area lead, in a programme without a threshold, no reason yet

    public static TheoryData<ClaimState, string, string> PermittedNow => new()
    {
        { Draft, Role.SchoolBusinessManager, "submit" },
        { Submitted, Role.SchoolBusinessManager, "withdraw" },
        { Submitted, Role.AreaLead, "start-review" },
        { UnderReview, Role.AreaLead, "approve, return, reject" },
        { AwaitingSecondApproval, Role.ProgrammeAdmin, "second-approve, return, reject" },
        { Approved, Role.FunderFinance, "add-to-payment-run" },
        { InPaymentRun, Role.FunderFinance, "remove-from-payment-run, mark-paid, payment-failed" },
    };

    [Theory]
    [MemberData(nameof(PermittedNow))]
    public void PermittedTriggers_ListWhatTheRoleMayDoNow(ClaimState state, string role, string expected) =>
        Assert.Equal(expected, Names(Claim.PermittedTriggers(state, By(OnePerRole.Single(a => a.Role == role), firstApprovedBy: 3))));

    [Fact]
    public void PermittedTriggers_AreEmptyForEveryOtherRoleAndState()
    {
        var listed = PermittedNow.Select(row => ((ClaimState)row[0], (string)row[1])).ToHashSet();
        foreach (var state in Enum.GetValues<ClaimState>())
        foreach (var actor in OnePerRole.Where(a => !listed.Contains((state, a.Role))))
            Assert.True(Claim.PermittedTriggers(state, By(actor, firstApprovedBy: 3)).Count == 0, $"{actor.Role} in {state}");
    }

    [Fact] public void PermittedTriggers_LeaveOutReviewForTheLeadWhoSubmitted() =>
        Assert.Empty(Claim.PermittedTriggers(UnderReview, By(AreaLead, submittedBy: AreaLead.UserId)));

    [Fact] public void PermittedTriggers_AreEmptyOutsideTheActorsScope() =>
        Assert.Empty(Claim.PermittedTriggers(Submitted, By(OtherAreaLead)));

    [Fact] public void PermittedTriggers_ListApproveOnceAboveTheThreshold() =>
        Assert.Equal("approve, return, reject", Names(Claim.PermittedTriggers(UnderReview, By(AreaLead, totalPounds: 5000, thresholdPounds: 1000))));

    [Fact] public void PermittedTriggers_LeaveOutSecondApprovalForTheAdminWhoSubmitted() =>
        Assert.Empty(Claim.PermittedTriggers(AwaitingSecondApproval, By(Admin, submittedBy: Admin.UserId, firstApprovedBy: 3)));

    [Fact]
    public void Actions_LeaveOutTheTriggersOnlyTheServiceFires()
    {
        Assert.Equal("remove-from-payment-run, mark-paid, payment-failed", Names(Claim.PermittedTriggers(InPaymentRun, By(Finance))));
        Assert.Empty(Claim.Actions(InPaymentRun, By(Finance)));
        Assert.Empty(Claim.Actions(Approved, By(Finance)));
        Assert.Equal("approve, return, reject", Names(Claim.Actions(UnderReview, By(AreaLead))));
    }

    [Fact] public void Triggers_ListEveryTriggerDeclaredFromTheState() =>
        Assert.Equal("second-approve, return, reject", Names(Claim.Triggers(AwaitingSecondApproval)));
}
