using GrantLedger.Core.Ledger;

namespace GrantLedger.Core.Tests.Ledger;

/// <summary>
/// The programmes' dates are UK dates: between midnight and one in the morning in summer (BST), UTC's date is still the
/// day before. An approval posted then is value-dated on the UK's day, an export "as of" a day reads to the UK's midnight,
/// and pages show the time a UK clock showed.
/// </summary>
public sealed class UkTimeTests
{
    [Theory]
    [InlineData("2026-06-01T23:30:00Z", "2026-06-02")] // 00:30 BST on 2 June
    [InlineData("2026-06-01T22:59:59Z", "2026-06-01")] // 23:59:59 BST
    [InlineData("2026-12-01T23:30:00Z", "2026-12-01")] // 23:30 GMT
    [InlineData("2027-03-28T00:30:00Z", "2027-03-28")] // the night the clocks go forward (01:00 GMT → 02:00 BST)
    [InlineData("2026-10-25T00:30:00Z", "2026-10-25")] // the night they go back (01:30 BST)
    public void TheDateAtAMoment_IsTheDateInTheUk(string moment, string date) =>
        Assert.Equal(DateOnly.Parse(date), UkTime.DateOn(DateTimeOffset.Parse(moment)));

    [Theory]
    [InlineData("2026-06-01", "2026-06-01T23:00:00Z")]
    [InlineData("2026-12-01", "2026-12-02T00:00:00Z")]
    [InlineData("2027-03-27", "2027-03-28T00:00:00Z")] // GMT until 01:00 the next night
    [InlineData("2026-10-25", "2026-10-26T00:00:00Z")] // a day of 25 hours, ending in GMT
    public void ADayEnds_AtMidnightInTheUk(string date, string end) =>
        Assert.Equal(DateTimeOffset.Parse(end), UkTime.EndOf(DateOnly.Parse(date)));

    /// <summary>The calendar's first and last days have a start and an end: "from the beginning" and "to the end" of an auditor's range threw.</summary>
    [Fact]
    public void TheCalendarsFirstAndLastDays_BeginAndEnd()
    {
        Assert.Equal(UkTime.StartOf(DateOnly.MinValue.AddDays(1)) - UkTime.StartOf(DateOnly.MinValue), TimeSpan.FromDays(1));
        Assert.Equal(DateTimeOffset.MaxValue, UkTime.EndOf(DateOnly.MaxValue));
        Assert.Equal(UkTime.EndOf(DateOnly.MaxValue.AddDays(-1)), UkTime.StartOf(DateOnly.MaxValue));
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T00:00:00Z"), UkTime.StartOf(new DateOnly(2026, 12, 1)));
        Assert.Equal(DateTimeOffset.Parse("2026-05-31T23:00:00Z"), UkTime.StartOf(new DateOnly(2026, 6, 1)));
    }

    [Fact]
    public void AMoment_IsShownAsAUkClockShowedIt()
    {
        Assert.Equal("15 Jun 2026 09:30", UkTime.Of(DateTimeOffset.Parse("2026-06-15T08:30:00Z")).ToString("d MMM yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("15 Dec 2026 08:30", UkTime.Of(DateTimeOffset.Parse("2026-12-15T08:30:00Z")).ToString("d MMM yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(UkTime.Of((DateTimeOffset?)null));
    }
}
