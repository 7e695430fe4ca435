using System.Globalization;
using GrantLedger.Core.Ledger;

namespace GrantLedger.Core.Tests.Ledger;

public sealed class IsoDateTests
{
    [Fact]
    public void ADate_IsReadInTheGregorianCalendar_WhateverTheServersCulture()
    {
        var was = CultureInfo.CurrentCulture;
        try
        {
            // Thai's calendar counts years from 543 BC: read in it, "2026-10-05" is a day in AD 1483
            CultureInfo.CurrentCulture = new CultureInfo("th-TH");
            Assert.True(DateOnly.TryParseExact("2026-10-05", "yyyy-MM-dd", out var cultures));
            Assert.NotEqual(2026, cultures.Year);

            Assert.Equal(new DateOnly(2026, 10, 5), IsoDate.Parse("2026-10-05"));
            Assert.Equal("2026-10-05", IsoDate.Of(new DateOnly(2026, 10, 5)));
        }
        finally
        {
            CultureInfo.CurrentCulture = was;
        }
    }

    [Theory]
    [InlineData("2026-02-30")]
    [InlineData("05/10/2026")]
    [InlineData("2026-10-5")]
    [InlineData(" 2026-10-05")]
    [InlineData("")]
    [InlineData(null)]
    public void WhatIsNoDateAsYyyyMmDd_IsNone(string? text) => Assert.Null(IsoDate.Parse(text));
}
