using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Tests.Ledger;

public sealed class ReferenceLedgerTests
{
    private const long Funding = 1, Unallocated = 2, Available = 3, Payable = 4;

    private static ReferenceLedger Funded(long amount)
    {
        var l = new ReferenceLedger();
        l.Open(Funding, Unit.Gbp, LimitKind.None);
        l.Open(Unallocated, Unit.Gbp, LimitKind.DebitsWithinCredits);
        l.Open(Available, Unit.Gbp, LimitKind.DebitsWithinCredits);
        l.Open(Payable, Unit.Gbp, LimitKind.DebitsWithinCredits);
        l.Apply(Entry(new TransferDraft(Unit.Gbp, Funding, Unallocated, amount), new TransferDraft(Unit.Gbp, Unallocated, Available, amount)));
        return l;
    }

    private static EntryDraft Entry(params TransferDraft[] t) => new(1, new DateOnly(2026, 10, 1), "t", null, CauseType.Allocation, null, t);

    [Fact]
    public void AnEntryThatWouldOverdraw_ChangesNothing_AndSaysByHowMuch()
    {
        var l = Funded(100);
        var e = Assert.Throws<RuleBroken>(() => l.Apply(Entry(
            new TransferDraft(Unit.Gbp, Available, Payable, 60),
            new TransferDraft(Unit.Gbp, Available, Payable, 50))));
        Assert.Equal(10L, e.Details["shortfall"]);
        Assert.Equal(new Balance(0, 100, 0, 0), l.BalanceOf(Available));
    }

    [Fact]
    public void TheTrialBalance_IsZero_PostedAndPending()
    {
        var l = Funded(100);
        var hold = l.Apply(Entry(new TransferDraft(Unit.Gbp, Available, Payable, 40, TransferKind.Pending)))[0];
        Assert.Equal((0, 0), l.TrialBalance(Unit.Gbp));
        l.Apply(Entry(new TransferDraft(Unit.Gbp, Available, Payable, 30, TransferKind.PostPending, hold)));
        Assert.Equal((0, 0), l.TrialBalance(Unit.Gbp));
        Assert.Equal(new Balance(30, 100, 0, 0), l.BalanceOf(Available));
    }

    [Fact]
    public void ATransferMixingUnits_IsRefused()
    {
        var l = Funded(100);
        l.Open(9, Unit.Minutes, LimitKind.None);
        Assert.Equal("transfer-mixes-units", Assert.Throws<RuleBroken>(() => l.Apply(Entry(new TransferDraft(Unit.Gbp, Available, 9, 1)))).Rule);
    }

    [Fact]
    public void ResolvingAHoldTwiceInOneEntry_IsRefused()
    {
        var l = Funded(100);
        var hold = l.Apply(Entry(new TransferDraft(Unit.Gbp, Available, Payable, 40, TransferKind.Pending)))[0];
        Assert.Equal("pending-already-resolved", Assert.Throws<RuleBroken>(() => l.Apply(Entry(
            new TransferDraft(Unit.Gbp, Available, Payable, 10, TransferKind.PostPending, hold),
            new TransferDraft(Unit.Gbp, Available, Payable, 40, TransferKind.VoidPending, hold)))).Rule);
    }
}
