using static GrantLedger.Core.Workflow.ActionPlanState;
using static GrantLedger.Core.Workflow.ActionPlanTrigger;

namespace GrantLedger.Core.Workflow;

public enum ActionPlanState { Draft, Submitted, Agreed, Superseded }

public enum ActionPlanTrigger { Submit, Agree, Return, Supersede }

/// <summary>
/// What an action plan version's guards look at. <paramref name="Feedback"/> comes with return;
/// <paramref name="NewerVersionAgreed"/> is true once a later version of the same plan is agreed.
/// </summary>
public sealed record ActionPlanContext(Actor Actor, long? SubmittedBy, string? Feedback = null, bool NewerVersionAgreed = false)
    : IWorkflowContext;

/// <summary>
/// One version of a school's action plan. An agreed version is never edited: revising it creates a
/// new version in Draft, and when the area lead agrees that version the host supersedes the old one
/// in the same transaction (the supersede row, fired as the same area lead). No ledger effects.
/// </summary>
public static class ActionPlanWorkflow
{
    private static readonly Guard<ActionPlanContext> OwnSchool = Scope<ActionPlanContext>.OwnSchool;
    private static readonly Guard<ActionPlanContext> OwnArea = Scope<ActionPlanContext>.OwnArea;

    public static readonly Guard<ActionPlanContext> AgreerNotSubmitter = Guard<ActionPlanContext>.Rule("agreer-not-submitter",
        "an area lead cannot agree a plan they submitted", c => c.Actor.UserId != c.SubmittedBy);

    public static readonly Guard<ActionPlanContext> FeedbackGiven = Guard<ActionPlanContext>.Input("feedback-required", "feedback",
        "give feedback: the school revises the plan from it", c => !string.IsNullOrWhiteSpace(c.Feedback));

    public static readonly Guard<ActionPlanContext> NewerVersionAgreed = Guard<ActionPlanContext>.Rule("newer-version-agreed",
        "a plan is superseded only when a newer version of it is agreed", c => c.NewerVersionAgreed);

    private static readonly string[] School = [Role.SchoolBusinessManager];
    private static readonly string[] Lead = [Role.AreaLead];

    public static readonly Lifecycle<ActionPlanState, ActionPlanTrigger, ActionPlanContext> Lifecycle =
        new Lifecycle<ActionPlanState, ActionPlanTrigger, ActionPlanContext>("action plan", Draft)
            //      from       trigger    to          who     guards
            .Permit(Draft,     Submit,    Submitted,  School, [OwnSchool])
            .Permit(Submitted, Agree,     Agreed,     Lead,   [OwnArea, AgreerNotSubmitter])
            .Permit(Submitted, Return,    Draft,      Lead,   [OwnArea, FeedbackGiven])
            .Permit(Agreed,    Supersede, Superseded, Lead,   [OwnArea, NewerVersionAgreed])
            .Internal(Supersede);  // by agreeing the newer version
}
