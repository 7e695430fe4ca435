using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using static GrantLedger.Core.Tests.Workflow.People;
using static GrantLedger.Core.Workflow.PaymentRunState;
using static GrantLedger.Core.Workflow.PaymentRunTrigger;

namespace GrantLedger.Core.Tests.Workflow;

public class PaymentRunWorkflowTests
{
    private static readonly Lifecycle<PaymentRunState, PaymentRunTrigger, PaymentRunContext> Run = PaymentRunWorkflow.Lifecycle;

    /// <summary>A run built by <see cref="People.Finance"/>.</summary>
    private static PaymentRunContext By(Actor actor, bool everyPayeeConfirmed = false) => new(actor, Finance.UserId, everyPayeeConfirmed);

    [Fact] public void Approve_ByAnotherFinanceUser_ApprovesTheRun() =>
        Assert.Equal(Approved, Run.Fire(Built, Approve, By(SecondFinance)).To);

    [Fact] public void Export_ByFinance_ExportsTheRun() =>
        Assert.Equal(Exported, Run.Fire(Approved, Export, By(Finance)).To);

    [Fact] public void MarkPaid_WhenEveryPayeeIsConfirmed_PaysTheRun() =>
        Assert.Equal(Paid, Run.Fire(Exported, MarkPaid, By(Finance, everyPayeeConfirmed: true)).To);

    [Theory]
    [InlineData(Built)]
    [InlineData(Approved)]
    public void Cancel_BeforeExport_CancelsTheRun(PaymentRunState state) =>
        Assert.Equal(Cancelled, Run.Fire(state, Cancel, By(Finance)).To);

    /// <summary>
    /// A step refused says whether the run has gone through it already (approved twice) or whether it is still ahead (a run
    /// only built, asked to export: the pages said "has already been built"); a cancelled run went another way.
    /// </summary>
    [Fact]
    public void AStepRefused_SaysWhetherTheRunHasPassedIt()
    {
        bool Passed(PaymentRunState state, PaymentRunTrigger trigger) =>
            (bool)Assert.Throws<RuleBroken>(() => Run.Fire(state, trigger, By(SecondFinance, everyPayeeConfirmed: true))).Details["passed"]!;
        Assert.True(Passed(Approved, Approve));
        Assert.True(Passed(Paid, Export));
        Assert.False(Passed(Built, Export));
        Assert.False(Passed(Built, MarkPaid));
        Assert.False(Passed(Cancelled, Export));
        // a role that takes no step of the run's workflow is refused whatever the run's state
        Assert.Throws<Forbidden>(() => Run.Fire(Built, Export, By(Auditor)));
    }

    [Fact]
    public void EveryRow_MovesNoMoneyItself() => Assert.All(Run.Rows, row => Assert.Equal(LedgerEffect.None, row.Effect));

    [Fact]
    public void Approve_ByTheFinanceUserWhoBuiltTheRun_IsRefused()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Run.Fire(Built, Approve, By(Finance)));
        Assert.Equal(("approver-not-builder", 409, "the finance user who built a payment run cannot approve it"),
            (refusal.Rule, refusal.Status, refusal.Message));
    }

    [Fact]
    public void MarkPaid_WithAPayeeUnconfirmed_IsRefused() =>
        Assert.Equal("payees-confirmed", Assert.Throws<RuleBroken>(() => Run.Fire(Exported, MarkPaid, By(Finance))).Rule);

    [Fact]
    public void Cancel_OnceExported_Returns409_WithoutOfferingMarkPaid_WhichOnlyConfirmationsFire()
    {
        var refusal = Assert.Throws<RuleBroken>(() => Run.Fire(Exported, Cancel, By(Finance, everyPayeeConfirmed: true)));
        Assert.Equal(("illegal-transition", 409, "exported"), (refusal.Rule, refusal.Status, refusal.Details["state"]));
        Assert.Empty(Assert.IsType<string[]>(refusal.Details["allowedTriggers"]));
        Assert.Equal("The payment run is 'exported', where 'cancel' is not possible. No step of its workflow is open to you now.", refusal.Message);
    }

    [Fact]
    public void Export_WhenBuilt_Returns409NamingApproveForTheCheckerButNotForTheBuilder()
    {
        Assert.Equal(["approve", "cancel"],
            Assert.IsType<string[]>(Assert.Throws<RuleBroken>(() => Run.Fire(Built, Export, By(SecondFinance))).Details["allowedTriggers"]));
        Assert.Equal(["cancel"],
            Assert.IsType<string[]>(Assert.Throws<RuleBroken>(() => Run.Fire(Built, Export, By(Finance))).Details["allowedTriggers"]));
    }

    [Theory]
    [InlineData(Role.AreaLead)]
    [InlineData(Role.ProgrammeAdmin)]
    [InlineData(Role.Auditor)]
    public void Approve_ByANonFinanceRole_IsForbidden(string role) =>
        Assert.Throws<Forbidden>(() => Run.Fire(Built, Approve, By(new Actor(42, role, InScope: true))));

    [Fact] public void Export_ByFinanceOfAnotherProgramme_IsForbidden() =>
        Assert.Throws<Forbidden>(() => Run.Fire(Approved, Export, By(OtherFinance)));

    [Fact]
    public void PermittedTriggers_ListWhatEachRoleMayDoNow()
    {
        // the actor per role is OnePerRole's, so funder finance here is the builder: no approve
        var expected = new Dictionary<(PaymentRunState, string), string>
        {
            [(Built, Role.FunderFinance)] = "cancel",
            [(Approved, Role.FunderFinance)] = "export, cancel",
        };
        foreach (var state in Enum.GetValues<PaymentRunState>())
        foreach (var actor in OnePerRole)
            Assert.True(expected.GetValueOrDefault((state, actor.Role), "") == Names(Run.PermittedTriggers(state, By(actor))),
                $"{actor.Role} in {state}: {Names(Run.PermittedTriggers(state, By(actor)))}");
    }

    [Fact] public void PermittedTriggers_OfferApproveToTheCheckerOnly() =>
        Assert.Equal("approve, cancel", Names(Run.PermittedTriggers(Built, By(SecondFinance))));

    [Fact] public void PermittedTriggers_OfferMarkPaidOnceEveryPayeeIsConfirmed() =>
        Assert.Equal("mark-paid", Names(Run.PermittedTriggers(Exported, By(Finance, everyPayeeConfirmed: true))));
}
