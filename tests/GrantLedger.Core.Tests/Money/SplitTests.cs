using FsCheck;
using FsCheck.Xunit;
using GrantLedger.Core.Money;

namespace GrantLedger.Core.Tests.Money;

public sealed class SplitTests
{
    [Fact]
    public void ThirteenMillionPoundsAcross1680Schools_SumsExactly_InPartsOneApart()
    {
        var shares = Split.Evenly(1_300_000_000, 1680);
        Assert.Equal(1680, shares.Length);
        Assert.Equal(1_300_000_000, shares.Sum());
        Assert.Equal(880, shares.Count(s => s == 773_810));
        Assert.Equal(800, shares.Count(s => s == 773_809));
        Assert.Equal("£7,738.10", new GrantLedger.Core.Money.Money(shares[0]).ToString());
    }

    [Property]
    public bool Evenly_SumsExactly_AndPartsDifferByAtMostOne(NonNegativeInt total, PositiveInt parts)
    {
        var n = parts.Get % 5000 + 1;
        var shares = Split.Evenly(total.Get * 1000L, n);
        return shares.Length == n && shares.Sum() == total.Get * 1000L && shares.Max() - shares.Min() <= 1;
    }

    [Property]
    public bool ByWeight_SumsExactly_AndEachShareIsWithinOneOfItsExactValue(NonNegativeInt total, PositiveInt[] weights)
    {
        if (weights.Length == 0) return true;
        var w = weights.Select(x => (long)x.Get).ToArray();
        var shares = Split.ByWeight(total.Get, w);
        var sum = w.Sum();
        return shares.Sum() == total.Get
               && shares.Select((s, i) => Math.Abs((decimal)s - (decimal)total.Get * w[i] / sum)).All(d => d < 1);
    }

    [Fact]
    public void ByWeight_GivesLeftoverUnitsToTheLargestRemainders()
    {
        // 100 split 1:1:1 → 33.33 each; one unit left goes to the first of the tied remainders
        Assert.Equal([34, 33, 33], Split.ByWeight(100, [1, 1, 1]));
        // 10 split 1:2:3:4 exactly
        Assert.Equal([1, 2, 3, 4], Split.ByWeight(10, [1, 2, 3, 4]));
        // 7 split 5:3 → 4.375 and 2.625: floors 4 and 2, remainders .375 < .625 so the second gets the unit
        Assert.Equal([4, 3], Split.ByWeight(7, [5, 3]));
    }
}
