using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// What a spreadsheet would run when it opens a CSV the service wrote (CWE-1236): <see cref="Csv.FormulaSafe"/> puts an
/// apostrophe before it, and leaves numbers and ordinary text as they are. The exports' and the auditors' files are
/// checked end to end in ExportTests and AuditQueryTests.
/// </summary>
public sealed class CsvInjectionTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"https://evil.example\",\"Open\")", "'=HYPERLINK(\"https://evil.example\",\"Open\")")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+44 20 7946 0000", "'+44 20 7946 0000")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("-", "'-")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "'\r=1+1")]
    [InlineData("-12.50", "-12.50")]
    [InlineData("-225", "-225")]
    [InlineData("+3", "+3")]
    [InlineData("12.50", "12.50")]
    [InlineData("-.5", "'-.5")]
    [InlineData("-12.", "'-12.")]
    [InlineData("Peer review = half a day", "Peer review = half a day")]
    [InlineData("'=1+1", "'=1+1")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void AValueASpreadsheetWouldRun_GetsAnApostrophe_ANumberOrTextDoesNot(string? value, string? written) =>
        Assert.Equal(written, Csv.FormulaSafe(value));

    [Fact]
    public void AField_IsMadeSafeBeforeItIsQuoted()
    {
        Assert.Equal("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"Open\"\")\"", Csv.Field("=HYPERLINK(\"https://evil.example\",\"Open\")"));
        Assert.Equal("'@SUM(A1:A9)", Csv.Field("@SUM(A1:A9)"));
        Assert.Equal("-12.50", Csv.Field("-12.50"));
        Assert.Equal("\"# not a comment\"", Csv.Field("# not a comment"));
    }
}
