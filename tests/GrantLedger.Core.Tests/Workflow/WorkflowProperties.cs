using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using static GrantLedger.Core.Tests.Workflow.People;
using Pounds = GrantLedger.Core.Money.Money;

namespace GrantLedger.Core.Tests.Workflow;

/// <summary>
/// Random walks: sequences of triggers fired by random people. Whatever happens, a record only ever
/// moves along a declared row, and Fire succeeds exactly when PermittedTriggers lists the trigger
/// (and the request carries its reason); refusals are only ever 409, 403 or 422, and an illegal
/// trigger's 409 offers exactly the actor's Actions.
/// </summary>
public class WorkflowProperties
{
    /// <summary>
    /// One attempt. <see cref="Trigger"/> picks from the triggers declared from the current state, or
    /// (when <see cref="AnyTrigger"/>) from all; <see cref="Actor"/> picks from the people whose role is
    /// on such a row, or (when <see cref="AnyActor"/>) from everyone. Flag is the lifecycle's yes/no fact
    /// (newer version agreed, payees confirmed).
    /// </summary>
    public sealed record Step(int Trigger, bool AnyTrigger, int Actor, bool AnyActor, bool WithReason, bool Flag);

    public sealed record Walk(Step[] Steps, int CreatedBy, long TotalPounds, long? ThresholdPounds);

    private static readonly Gen<bool> Mostly = Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)));
    private static readonly Gen<bool> Sometimes = Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)));

    private static readonly Gen<Step> Steps =
        from trigger in Gen.Choose(0, 1000)
        from anyTrigger in Sometimes
        from actor in Gen.Choose(0, 1000)
        from anyActor in Sometimes
        from withReason in Mostly
        from flag in Gen.Elements(true, false)
        select new Step(trigger, anyTrigger, actor, anyActor, withReason, flag);

    private static readonly Arbitrary<Walk> Walks =
        (from steps in Gen.ArrayOf(Steps)
         from createdBy in Gen.Choose(0, Everyone.Length - 1)
         from total in Gen.Choose(1, 2000)
         from threshold in Gen.Elements<long?>(null, 1, 1000, 1500)
         select new Walk(steps, createdBy, total, threshold)).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property ClaimWalks_FollowDeclaredRows_AndFireExactlyWhenPermitted() => Prop.ForAll(Walks, walk =>
    {
        var createdBy = Everyone[walk.CreatedBy].UserId;
        long? submittedBy = null, firstApprovedBy = null;
        Follow(ClaimWorkflow.Lifecycle, walk.Steps,
            (actor, step) => new ClaimContext(actor, createdBy, submittedBy, firstApprovedBy, Pounds.FromPounds(walk.TotalPounds),
                walk.ThresholdPounds is { } t ? Pounds.FromPounds(t) : null, step.WithReason ? "a reason" : null),
            (row, actor) =>
            {
                if (row.Trigger == ClaimTrigger.Submit) submittedBy = actor.UserId;
                if (row.To == ClaimState.AwaitingSecondApproval) firstApprovedBy = actor.UserId;
            });
    });

    [Property(MaxTest = 200)]
    public Property ActionPlanWalks_FollowDeclaredRows_AndFireExactlyWhenPermitted() => Prop.ForAll(Walks, walk =>
    {
        long? submittedBy = null;
        Follow(ActionPlanWorkflow.Lifecycle, walk.Steps,
            (actor, step) => new ActionPlanContext(actor, submittedBy, step.WithReason ? "feedback" : null, step.Flag),
            (row, actor) => { if (row.Trigger == ActionPlanTrigger.Submit) submittedBy = actor.UserId; });
    });

    [Property(MaxTest = 200)]
    public Property PaymentRunWalks_FollowDeclaredRows_AndFireExactlyWhenPermitted() => Prop.ForAll(Walks, walk =>
    {
        var builtBy = Everyone[walk.CreatedBy].UserId;
        Follow(PaymentRunWorkflow.Lifecycle, walk.Steps, (actor, step) => new PaymentRunContext(actor, builtBy, step.Flag), (_, _) => { });
    });

    private static void Follow<TS, TT, TC>(Lifecycle<TS, TT, TC> lifecycle, Step[] steps,
        Func<Actor, Step, TC> contextFor, Action<Transition<TS, TT, TC>, Actor> fired)
        where TS : struct, Enum where TT : struct, Enum where TC : IWorkflowContext
    {
        var state = lifecycle.Initial;
        foreach (var step in steps)
        {
            var declared = lifecycle.Triggers(state);
            var triggers = step.AnyTrigger || declared.Count == 0 ? Enum.GetValues<TT>() : declared.ToArray();
            var trigger = triggers[step.Trigger % triggers.Length];
            var fitting = Everyone.Where(a => lifecycle.Rows.Any(r => Equals(r.From, state) && Equals(r.Trigger, trigger) && r.Roles.Contains(a.Role))).ToArray();
            var people = step.AnyActor || fitting.Length == 0 ? Everyone : fitting;
            var actor = people[step.Actor % people.Length];
            var context = contextFor(actor, step);
            var permitted = lifecycle.PermittedTriggers(state, context).Contains(trigger);
            var attempt = $"{Kebab.Of(trigger)} by {actor} from {Kebab.Of(state)}";

            Transition<TS, TT, TC> row;
            try
            {
                row = lifecycle.Fire(state, trigger, context);
            }
            catch (InvalidInput)
            {
                Assert.True(permitted && !step.WithReason, $"{attempt}: refused for missing input, permitted {permitted}");
                continue;
            }
            catch (Exception e) when (e is RuleBroken { Status: 409 } or Forbidden)
            {
                Assert.False(permitted, $"{attempt}: refused ({e.Message}) although permitted");
                // an illegal trigger's answer offers what this actor can do by a request: never another role's, never the service's
                if (e is RuleBroken { Rule: "illegal-transition" } illegal)
                    Assert.Equal(lifecycle.Actions(state, context).Select(t => Kebab.Of(t)), (string[])illegal.Details["allowedTriggers"]!);
                continue;
            }

            Assert.True(permitted, $"{attempt}: fired although not permitted");
            Assert.Contains(row, lifecycle.Rows);
            Assert.True(Equals(row.From, state) && Equals(row.Trigger, trigger), $"{attempt}: took the row {row}");
            fired(row, actor);
            state = row.To;
        }
    }
}
