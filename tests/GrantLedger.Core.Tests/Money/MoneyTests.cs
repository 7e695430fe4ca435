using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GrantLedger.Core.Money;

namespace GrantLedger.Core.Tests.Money;

using Money = GrantLedger.Core.Money.Money;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("1234.5", 123450)]
    [InlineData("1234.50", 123450)]
    [InlineData("1234", 123400)]
    [InlineData("0.01", 1)]
    [InlineData("0.29", 29)]
    [InlineData("-3.20", -320)]
    [InlineData(" 7.00 ", 700)]
    [InlineData("10000000000.00", Hundredths.Most)]
    [InlineData("-10000000000", -Hundredths.Most)]
    public void Parse_DecimalStrings_ToExactPence(string text, long pence) => Assert.Equal(pence, Money.Parse(text).Pence);

    [Theory]
    [InlineData("1.234", "two decimal places")]
    [InlineData("1.", "amount in pounds")]
    [InlineData(".5", "amount in pounds")]
    [InlineData("1e5", "amount in pounds")]
    [InlineData("1,234.50", "amount in pounds")]
    [InlineData("£5", "amount in pounds")]
    [InlineData("12 345", "amount in pounds")]
    [InlineData("", "enter an amount")]
    [InlineData("10000000000.01", "at most 10,000,000,000.00")]
    [InlineData("-10000000000.01", "at most 10,000,000,000.00")]
    [InlineData("92233720368547758.07", "at most 10,000,000,000.00")]
    [InlineData("92233720368547758.08", "at most 10,000,000,000.00")]
    [InlineData("NaN", "amount in pounds")]
    public void Parse_Refuses_WithAReason(string text, string reason)
    {
        Assert.False(Money.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("1,234.50", 123450)]
    [InlineData("£1,234.5", 123450)]
    [InlineData("1234.5", 123450)]
    [InlineData("12,345,678.00", 1234567800)]
    public void Parse_AsTypedIntoAForm_AcceptsGroupingAndPoundSign(string text, long pence) =>
        Assert.Equal(pence, Money.Parse(text, allowGrouping: true).Pence);

    [Theory]
    [InlineData("1,23.00")]
    [InlineData("1234,567.00")]
    [InlineData(",123.00")]
    public void Parse_AsTypedIntoAForm_RefusesMisplacedCommas(string text) =>
        Assert.False(Money.TryParse(text, out _, out _, allowGrouping: true));

    [Theory]
    [InlineData(123450, "£1,234.50", "1234.50")]
    [InlineData(5, "£0.05", "0.05")]
    [InlineData(-320, "-£3.20", "-3.20")]
    [InlineData(0, "£0.00", "0.00")]
    [InlineData(1_300_000_000, "£13,000,000.00", "13000000.00")]
    [InlineData(long.MinValue, "-£92,233,720,368,547,758.08", "-92233720368547758.08")]
    public void Format_ForPeopleAndForTheApi(long pence, string shown, string api)
    {
        Assert.Equal(shown, new Money(pence).ToString());
        Assert.Equal(api, new Money(pence).ToDecimalString());
    }

    /// <summary>Within ±£10 billion every amount reads back as written; beyond, none is read.</summary>
    [Property]
    public bool ApiString_RoundTrips_WithinTheLargestAmount(long pence) =>
        Money.TryParse(new Money(pence).ToDecimalString(), out var read, out _)
            ? Math.Abs((decimal)pence) <= Hundredths.Most && read.Pence == pence
            : Math.Abs((decimal)pence) > Hundredths.Most;

    [Property]
    public bool DisplayString_RoundTripsThroughTheFormParser(long pence) =>
        Math.Abs((decimal)pence) > Hundredths.Most || Money.Parse(new Money(pence).ToString(), allowGrouping: true).Pence == pence;

    [Property]
    public bool LargeAmounts_AreRefusedAtTheLargest(PositiveInt over) =>
        !Money.TryParse(new Money(Hundredths.Most + over.Get).ToDecimalString(), out _, out _)
        && Money.TryParse(new Money(Hundredths.Most).ToDecimalString(), out _, out _);

    [Property]
    public bool OneDecimalPlace_MeansTensOfPence(NonNegativeInt pounds, byte tenth) =>
        Money.Parse($"{pounds.Get}.{tenth % 10}").Pence == pounds.Get * 100L + tenth % 10 * 10;

    [Property]
    public bool ThreeDecimalPlaces_AreAlwaysRefused(NonNegativeInt pounds, PositiveInt thousandths) =>
        !Money.TryParse($"{pounds.Get}.{thousandths.Get % 1000:000}", out _, out _);
}
