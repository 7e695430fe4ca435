using GrantLedger.Core.Claims;

namespace GrantLedger.Core.Tests.Claims;

public sealed class EvidenceFileTests
{
    /// <summary>
    /// A stored file name has no path and no control or invisible characters, and ends in its content's extension: a
    /// right-to-left override made "inv\u202Efdp.exe" read as "invexe.pdf" on the claim's page and in a download's name.
    /// </summary>
    [Theory]
    [InlineData("invoice.pdf", "application/pdf", "invoice.pdf")]
    [InlineData("C:\\Users\\sbm\\Scan 12.PDF", "application/pdf", "Scan 12.PDF")]
    [InlineData("inv\u202Efdp.exe", "application/pdf", "invfdp.exe.pdf")]
    [InlineData("rec\u200Beipt\uFEFF.jpg", "image/jpeg", "receipt.jpg")]
    [InlineData("photo.jpeg", "image/jpeg", "photo.jpeg")]
    [InlineData("invoice.pdf", "image/png", "invoice.pdf.png")]
    [InlineData("\u2066\u2069", "application/pdf", "evidence.pdf")]
    [InlineData("../../etc/passwd", null, "passwd")]
    [InlineData("Caf\u00E9\u2014\u0174yn\u2019s invoice \U0001F600.pdf", "application/pdf", "Caf\u00E9\u2014\u0174yn\u2019s invoice \U0001F600.pdf")] // an emoji is kept
    [InlineData("half\uD83D.pdf", "application/pdf", "half.pdf")] // half of one is not
    public void SafeName_HasNoPathNorHiddenCharacters_AndEndsInItsContentsExtension(string given, string? type, string stored) =>
        Assert.Equal(stored, EvidenceFile.SafeName(given, type));
}
