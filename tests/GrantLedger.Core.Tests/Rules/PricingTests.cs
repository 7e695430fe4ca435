using System.Numerics;
using FsCheck;
using FsCheck.Xunit;
using GrantLedger.Core.Plans;
using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Tests.Rules;

public sealed class PricingTests
{
    [Theory]
    [InlineData("day", 25000, 450, 25000)]     // a full day at £250
    [InlineData("day", 25000, 225, 12500)]     // half a day
    [InlineData("day", 30000, 60, 4000)]       // one hour of a £300 day: 300 x 60/450 = £40
    [InlineData("day", 10000, 1, 22)]          // £100/450 = 22.22p a minute
    [InlineData("day", 100, 3, 1)]             // 0.666…p rounds up
    [InlineData("day", 150, 3, 1)]             // exactly 1.0p
    [InlineData("day", 75, 3, 1)]              // 0.5p rounds half up
    [InlineData("hour", 1800, 90, 2700)]       // an hour and a half at £18
    [InlineData("hour", 1, 30, 1)]             // half a penny rounds up
    [InlineData("period", 30000, 0, 30000)]    // the TLR3 sum, whatever the time
    public void Price_IsTheRateByTheFractionOfItsBasis_RoundedHalfUpToThePenny(string basis, long rate, long minutes, long expected) =>
        Assert.Equal(expected, Pricing.Price(basis, rate, minutes));

    /// <summary>A £10bn day rate by 30,000 days overflowed a long (checked(rate * minutes)): a 500 for the line.</summary>
    [Theory]
    [InlineData("day", 1_000_000_000_000, 450, true)]               // a day at £10bn: the most a line may cost
    [InlineData("day", 1_000_000_000_000, 451, false)]
    [InlineData("day", 1_000_000_000_000, 13_500_000, false)]       // 30,000 days at £10bn
    [InlineData("hour", long.MaxValue, long.MaxValue, false)]
    [InlineData("period", 1_000_000_000_001, 0, false)]
    public void APriceMoreThanTheMostALineMayCost_IsRefused_NeverAnOverflow(string basis, long rate, long minutes, bool priced)
    {
        Assert.Equal(priced, Pricing.TryPrice(basis, rate, minutes, out var pence));
        Assert.Equal(priced ? Pricing.MostPence : 0, pence);
        if (!priced) Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Price(basis, rate, minutes));
    }

    [Fact]
    public void AnUnknownBasis_IsRefused() => Assert.Throws<ArgumentException>(() => Pricing.Price("week", 100, 1));

    [Property]
    public bool DayAndHourPrices_AreTheExactValueRoundedHalfUp(PositiveInt rate, NonNegativeInt minutes, bool byDay)
    {
        var per = byDay ? 450 : 60;
        var price = Pricing.Price(byDay ? "day" : "hour", rate.Get, minutes.Get % 10_000);
        // exact value r·m/per, compared in integers: price - 1/2 ≤ r·m/per < price + 1/2
        var twice = (BigInteger)rate.Get * (minutes.Get % 10_000) * 2;
        return (2 * price - 1) * per <= twice && twice < (2 * price + 1) * per;
    }

    [Property]
    public bool MoreTime_NeverCostsLess(PositiveInt rate, NonNegativeInt a, NonNegativeInt b) =>
        Pricing.Price("day", rate.Get, Math.Min(a.Get, b.Get)) <= Pricing.Price("day", rate.Get, Math.Max(a.Get, b.Get));

    [Theory]
    [InlineData(new[] { "learning", "support" }, true)]
    [InlineData(new[] { "learning", "support", "policies" }, true)]
    [InlineData(new[] { "learning" }, false)]
    [InlineData(new[] { "learning", "support", "policies", "mindsets" }, false)]
    [InlineData(new[] { "learning", "learning" }, false)]
    [InlineData(new[] { "learning", "wellbeing" }, false)]
    public void APlan_Chooses2Or3DistinctThemesOfTheEight(string[] themes, bool valid) =>
        Assert.Equal(valid, ActionPlanRules.CheckThemes(themes) is null);
}
