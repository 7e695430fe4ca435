using GrantLedger.Core.Money;

namespace GrantLedger.Core.Tests.Money;

public sealed class MinutesTests
{
    [Theory]
    [InlineData("1.5", TimeUnit.Days, 675)]
    [InlineData("4", TimeUnit.Days, 1800)]
    [InlineData("0.5", TimeUnit.Hours, 30)]
    [InlineData("7.25", TimeUnit.Hours, 435)]
    public void Quantity_BecomesWholeMinutes(string text, TimeUnit unit, long minutes)
    {
        Assert.True(Minutes.TryParseQuantity(text, unit, out var m, out var error), error);
        Assert.Equal(minutes, m.Value);
    }

    [Theory]
    [InlineData("0.01", TimeUnit.Hours, "whole number of minutes")]
    [InlineData("0", TimeUnit.Days, "more than zero")]
    [InlineData("1.234", TimeUnit.Days, "two decimal places")]
    [InlineData("x", TimeUnit.Days, "number such as 1.5")]
    public void Quantity_Refused_WithAReason(string text, TimeUnit unit, string reason)
    {
        Assert.False(Minutes.TryParseQuantity(text, unit, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData(0, "0 days")]
    [InlineData(450, "1 day")]
    [InlineData(2250, "5 days")]
    [InlineData(225, "0.5 days")]
    [InlineData(972, "2.16 days")]   // 2 days 1 hour 12 minutes: a whole hundredth of a day
    [InlineData(1065, "17.75 hours")] // 2 days 2 hours 45 minutes: not a whole hundredth of a day
    [InlineData(1845, "4.1 days")]
    [InlineData(1865, "31 hours 5 minutes")]
    [InlineData(-450, "-1 day")]
    [InlineData(3_780_000, "8,400 days")]       // the PINS pilot's allocation, beside £13,000,000.00 (read "8400 days")
    [InlineData(90_030, "1,500.5 hours")]
    [InlineData(-3_780_000, "-8,400 days")]
    public void Describe(long minutes, string text) => Assert.Equal(text, new Minutes(minutes).ToString());

    /// <summary>
    /// Figures read side by side share one unit: a row of allowed, reserved, used and left read "61 hours | 0.2 days |
    /// 59.5 hours"; now each in the first unit that gives them all exactly.
    /// </summary>
    [Fact]
    public void InOneUnit_GivesEveryFigureInTheFirstUnitThatFitsThemAll()
    {
        string[] Row(params long[] minutes) => minutes.Select(Minutes.InOneUnit(minutes)).ToArray();
        Assert.Equal(["61 hours", "1.5 hours", "59.5 hours"], Row(3660, 90, 3570));
        Assert.Equal(["5 days", "0.5 days", "4.5 days", "0 days"], Row(2250, 225, 2025, 0));
        Assert.Equal(["1 hour 1 minute", "0 minutes", "-1 hour 1 minute"], Row(61, 0, -61));
        Assert.Equal("0.2 days", new Minutes(90).ToString()); // on its own, as before
    }
}
