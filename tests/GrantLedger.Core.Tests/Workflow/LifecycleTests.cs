using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using static GrantLedger.Core.Tests.Workflow.People;
using Pounds = GrantLedger.Core.Money.Money;

namespace GrantLedger.Core.Tests.Workflow;

/// <summary>Checks on the three declarations as a whole, and on the engine's names and diagram.</summary>
public class LifecycleTests
{
    [Fact]
    public void EveryClaimState_IsTheInitialStateOrTheTargetOfARow() => AllReachable(ClaimWorkflow.Lifecycle);

    [Fact]
    public void EveryActionPlanState_IsTheInitialStateOrTheTargetOfARow() => AllReachable(ActionPlanWorkflow.Lifecycle);

    [Fact]
    public void EveryPaymentRunState_IsTheInitialStateOrTheTargetOfARow() => AllReachable(PaymentRunWorkflow.Lifecycle);

    [Fact]
    public void EveryClaimRow_IsChosenForSomeActorAndClaim() =>
        EveryRowFires(ClaimWorkflow.Lifecycle,
            from actor in Everyone
            from createdBy in new long[] { 1, 3, 5 }
            from firstApprovedBy in new long?[] { null, 3, 5 }
            from threshold in new long?[] { null, 100, 1000 }
            select new ClaimContext(actor, createdBy, createdBy, firstApprovedBy, Pounds.FromPounds(500),
                threshold is { } t ? Pounds.FromPounds(t) : null, "a reason"));

    [Fact]
    public void EveryActionPlanRow_IsChosenForSomeActorAndPlan() =>
        EveryRowFires(ActionPlanWorkflow.Lifecycle,
            from actor in Everyone
            from newer in new[] { false, true }
            select new ActionPlanContext(actor, SubmittedBy: 1, Feedback: "feedback", NewerVersionAgreed: newer));

    [Fact]
    public void EveryPaymentRunRow_IsChosenForSomeActorAndRun() =>
        EveryRowFires(PaymentRunWorkflow.Lifecycle,
            from actor in Everyone
            from confirmed in new[] { false, true }
            select new PaymentRunContext(actor, BuiltBy: Finance.UserId, EveryPayeeConfirmed: confirmed));

    [Fact]
    public void FinalStates_AreTheOnesNothingLeaves()
    {
        Assert.Equal([ClaimState.Rejected, ClaimState.Withdrawn, ClaimState.Paid],
            Enum.GetValues<ClaimState>().Where(ClaimWorkflow.Lifecycle.IsFinal));
        Assert.Equal([PaymentRunState.Paid, PaymentRunState.Cancelled],
            Enum.GetValues<PaymentRunState>().Where(PaymentRunWorkflow.Lifecycle.IsFinal));
    }

    [Theory]
    [InlineData(ClaimState.UnderReview, "under-review")]
    [InlineData(ClaimState.AwaitingSecondApproval, "awaiting-second-approval")]
    [InlineData(ClaimState.Draft, "draft")]
    public void Kebab_SpellsStatesForTheApi(ClaimState state, string expected)
    {
        Assert.Equal(expected, Kebab.Of(state));
        Assert.True(Kebab.TryParse<ClaimState>(expected, out var parsed) && parsed == state);
    }

    [Fact]
    public void Kebab_RoundTripsEveryStateAndTrigger()
    {
        RoundTrips<ClaimState>(); RoundTrips<ClaimTrigger>();
        RoundTrips<ActionPlanState>(); RoundTrips<ActionPlanTrigger>();
        RoundTrips<PaymentRunState>(); RoundTrips<PaymentRunTrigger>();
        Assert.False(Kebab.TryParse<ClaimTrigger>("SecondApprove", out _));
    }

    [Fact]
    public void InternalTriggers_AreEachDeclaredOnARow()
    {
        Assert.All(ClaimWorkflow.Lifecycle.InternalTriggers, t => Assert.Contains(ClaimWorkflow.Lifecycle.Rows, r => r.Trigger == t));
        Assert.All(ActionPlanWorkflow.Lifecycle.InternalTriggers, t => Assert.Contains(ActionPlanWorkflow.Lifecycle.Rows, r => r.Trigger == t));
        Assert.All(PaymentRunWorkflow.Lifecycle.InternalTriggers, t => Assert.Contains(PaymentRunWorkflow.Lifecycle.Rows, r => r.Trigger == t));
    }

    [Fact]
    public void Permit_WithoutRoles_IsADeclarationError() =>
        Assert.Throws<ArgumentException>(() => new Lifecycle<ClaimState, ClaimTrigger, ClaimContext>("claim", ClaimState.Draft)
            .Permit(ClaimState.Draft, ClaimTrigger.Submit, ClaimState.Submitted, []));

    [Fact]
    public void ToMermaid_DrawsOneLinePerRowWithRolesGuardsAndEffect()
    {
        var lines = ClaimWorkflow.Lifecycle.ToMermaid().Split('\n');
        Assert.Equal("stateDiagram-v2", lines[0]);
        Assert.Contains("    state \"under-review\" as UnderReview", lines);
        Assert.Contains("    [*] --> Draft", lines);
        Assert.Contains("    Draft --> Submitted: submit (school_business_manager) [own-school] / reserve-hold", lines);
        Assert.Contains("    Submitted --> UnderReview: start-review (area_lead) [own-area, reviewer-not-submitter]", lines);
        Assert.Contains("    Approved --> InPaymentRun: add-to-payment-run (funder_finance) [own-programme]", lines);
        Assert.Contains("    Paid --> [*]", lines);
        Assert.DoesNotContain("    Approved --> [*]", lines);
        Assert.Equal(ClaimWorkflow.Lifecycle.Rows.Count, lines.Count(l => l.Contains(": ")));
    }

    [Fact]
    public void ToMermaid_KeepsToWhatMermaidParses()
    {
        foreach (var diagram in new[] { ClaimWorkflow.Lifecycle.ToMermaid(), ActionPlanWorkflow.Lifecycle.ToMermaid(), PaymentRunWorkflow.Lifecycle.ToMermaid() })
        foreach (var line in diagram.Split('\n').Skip(1).Where(l => l.Contains("-->")))
        {
            var ids = line.Split(':')[0].Split("-->").Select(s => s.Trim());
            Assert.All(ids, id => Assert.Matches("^([A-Za-z]+|\\[\\*\\])$", id)); // ids: no hyphens
            Assert.True(line.Count(c => c == ':') <= 1 && !line.Contains(';'), line);  // labels: no ':' or ';'
        }
    }

    [Fact]
    public void ToMermaid_IsTheSameEveryTime() =>
        Assert.Equal(ClaimWorkflow.Lifecycle.ToMermaid(), ClaimWorkflow.Lifecycle.ToMermaid());

    private static void RoundTrips<TEnum>() where TEnum : struct, Enum
    {
        foreach (var value in Enum.GetValues<TEnum>())
        {
            Assert.Matches("^[a-z]+(-[a-z]+)*$", Kebab.Of(value));
            Assert.True(Kebab.TryParse<TEnum>(Kebab.Of(value), out var parsed) && parsed.Equals(value), value.ToString());
        }
    }

    private static void AllReachable<TS, TT, TC>(Lifecycle<TS, TT, TC> lifecycle)
        where TS : struct, Enum where TT : struct, Enum where TC : IWorkflowContext
    {
        var reached = lifecycle.Rows.Select(r => r.To).Append(lifecycle.Initial).ToHashSet();
        Assert.All(Enum.GetValues<TS>(), state => Assert.Contains(state, reached));
    }

    private static void EveryRowFires<TS, TT, TC>(Lifecycle<TS, TT, TC> lifecycle, IEnumerable<TC> candidates)
        where TS : struct, Enum where TT : struct, Enum where TC : IWorkflowContext
    {
        var contexts = candidates.ToList();
        Assert.All(lifecycle.Rows, row => Assert.True(
            contexts.Any(c => lifecycle.PermittedTriggers(row.From, c).Contains(row.Trigger) && ReferenceEquals(Chosen(row, c), row)),
            $"no candidate fires {row.From} --{row.Trigger}--> {row.To}"));

        Transition<TS, TT, TC>? Chosen(Transition<TS, TT, TC> row, TC context)
        {
            try { return lifecycle.Fire(row.From, row.Trigger, context); }
            catch (Exception e) when (e is RuleBroken or Forbidden or InvalidInput) { return null; }
        }
    }
}
