using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Tests.Rules;

public sealed class ClosesTests
{
    private static readonly DateOnly YearEnds = new(2027, 8, 31);

    [Theory]
    [InlineData("2026-12-03")] // months before its end: the finance review's case
    [InlineData("2027-08-31")] // its last day has not passed yet
    public void Close_BeforeTheLastDayHasPassed_IsRefused_SayingFromWhen(string today)
    {
        var refused = Assert.Throws<RuleBroken>(() => Closes.EnsureEnded("year-not-ended", "2026-27", YearEnds, DateOnly.Parse(today)));
        Assert.Equal(("year-not-ended", 409), (refused.Rule, refused.Status));
        Assert.Equal("2026-27 has not ended: it ends on 31 August 2027 and can be closed from 1 September 2027.", refused.Message);
        Assert.Equal("2027-09-01", refused.Details["closableFrom"]);
    }

    [Theory]
    [InlineData("2027-09-01")]
    [InlineData("2030-01-01")]
    public void Close_OnceTheLastDayHasPassed_IsAllowed(string today) =>
        Closes.EnsureEnded("year-not-ended", "2026-27", YearEnds, DateOnly.Parse(today));
}
