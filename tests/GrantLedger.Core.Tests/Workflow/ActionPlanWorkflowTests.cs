using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using static GrantLedger.Core.Tests.Workflow.People;
using static GrantLedger.Core.Workflow.ActionPlanState;
using static GrantLedger.Core.Workflow.ActionPlanTrigger;

namespace GrantLedger.Core.Tests.Workflow;

public class ActionPlanWorkflowTests
{
    private static readonly Lifecycle<ActionPlanState, ActionPlanTrigger, ActionPlanContext> Plan = ActionPlanWorkflow.Lifecycle;

    private static ActionPlanContext By(Actor actor, long? submittedBy = 1, string? feedback = null, bool newerVersionAgreed = false) =>
        new(actor, submittedBy, feedback, newerVersionAgreed);

    [Fact] public void Submit_FromDraft_BySchoolManager_SubmitsThePlan() =>
        Assert.Equal(Submitted, Plan.Fire(Draft, Submit, By(SchoolManager, submittedBy: null)).To);

    [Fact] public void Agree_ByAreaLead_AgreesThePlan() =>
        Assert.Equal(Agreed, Plan.Fire(Submitted, Agree, By(AreaLead)).To);

    [Fact] public void Return_WithFeedback_GoesBackToDraft() =>
        Assert.Equal(Draft, Plan.Fire(Submitted, Return, By(AreaLead, feedback: "cost the transitions theme")).To);

    [Fact] public void Supersede_WhenANewerVersionIsAgreed_SupersedesThePlan() =>
        Assert.Equal(Superseded, Plan.Fire(Agreed, Supersede, By(AreaLead, newerVersionAgreed: true)).To);

    [Fact]
    public void EveryRow_MovesNoMoney() => Assert.All(Plan.Rows, row => Assert.Equal(LedgerEffect.None, row.Effect));

    [Fact]
    public void Agree_WhenLeadSubmittedThePlan_IsRefused()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Plan.Fire(Submitted, Agree, By(AreaLead, submittedBy: AreaLead.UserId)));
        Assert.Equal(("agreer-not-submitter", 409, "an area lead cannot agree a plan they submitted"),
            (refusal.Rule, refusal.Status, refusal.Message));
    }

    [Fact]
    public void Return_WithoutFeedback_IsInvalidOnTheFeedbackField() =>
        Assert.True(Assert.Throws<InvalidInput>(() => Plan.Fire(Submitted, Return, By(AreaLead))).Errors.ContainsKey("feedback"));

    [Fact]
    public void Supersede_WithoutANewerAgreedVersion_IsRefused() =>
        Assert.Equal("newer-version-agreed", Assert.Throws<RuleBroken>(() => Plan.Fire(Agreed, Supersede, By(AreaLead))).Rule);

    [Fact] public void Agree_ByLeadOfAnotherArea_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Plan.Fire(Submitted, Agree, By(OtherAreaLead)));

    [Fact] public void Submit_ByManagerOfAnotherSchool_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Plan.Fire(Draft, Submit, By(OtherSchoolManager)));

    [Fact] public void Agree_BySchoolManager_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Plan.Fire(Submitted, Agree, By(SchoolManager)));

    [Fact]
    public void Submit_WhenAgreed_Returns409_WithoutOfferingSupersede_WhichOnlyAgreeingANewerVersionFires()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Plan.Fire(Agreed, Submit, By(AreaLead, newerVersionAgreed: true)));
        Assert.Equal(("illegal-transition", 409, "agreed"), (refusal.Rule, refusal.Status, refusal.Details["state"]));
        Assert.Empty(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
    }

    [Fact]
    public void Submit_WhenSubmitted_Returns409NamingAgreeOnlyForALeadWhoDidNotSubmitIt()
    {
        Assert.Equal(["agree", "return"],
            Assert.IsType<string[]>(Assert.Throws<RuleBroken>(() => Plan.Fire(Submitted, Submit, By(AreaLead))).Details["allowedTriggers"]));
        Assert.Equal(["return"], Assert.IsType<string[]>(Assert.Throws<RuleBroken>(
            () => Plan.Fire(Submitted, Submit, By(AreaLead, submittedBy: AreaLead.UserId))).Details["allowedTriggers"]));
    }

    [Fact] public void Superseded_IsFinal() => Assert.True(Plan.IsFinal(Superseded));

    [Fact]
    public void PermittedTriggers_ListWhatEachRoleMayDoNow()
    {
        var expected = new Dictionary<(ActionPlanState, string), string>
        {
            [(Draft, Role.SchoolBusinessManager)] = "submit",
            [(Submitted, Role.AreaLead)] = "agree, return",
        };
        foreach (var state in Enum.GetValues<ActionPlanState>())
        foreach (var actor in OnePerRole)
            Assert.True(expected.GetValueOrDefault((state, actor.Role), "") == Names(Plan.PermittedTriggers(state, By(actor))),
                $"{actor.Role} in {state}: {Names(Plan.PermittedTriggers(state, By(actor)))}");
    }

    [Fact] public void PermittedTriggers_OfferSupersedeOnlyOnceANewerVersionIsAgreed() =>
        Assert.Equal("supersede", Names(Plan.PermittedTriggers(Agreed, By(AreaLead, newerVersionAgreed: true))));
}
