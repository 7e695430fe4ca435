using System.Security.Cryptography;

namespace GrantLedger.Core.Claims;

/// <summary>
/// Evidence is a PDF, PNG or JPEG of at most 10 MB. The type is read from the first bytes of the
/// content, not from the file name or the browser's say-so.
/// </summary>
public static class EvidenceFile
{
    public const int MaxBytes = 10 * 1024 * 1024;

    public static string? Sniff(ReadOnlySpan<byte> content) => content switch
    {
        [0x25, 0x50, 0x44, 0x46, 0x2D, ..] => "application/pdf",                        // %PDF-
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        _ => null,
    };

    public static byte[] Sha256(ReadOnlySpan<byte> content) => SHA256.HashData(content);

    /// <summary>
    /// A file name safe to store and to offer back for download: no path, no control characters, no invisible ones
    /// (right-to-left overrides, zero-width spaces: "inv\u202Efdp.exe" reads as "invexe.pdf"), and ending in its content's
    /// own extension ("scan.exe", a PDF, is kept as "scan.exe.pdf").
    /// </summary>
    public static string SafeName(string? name, string? contentType = null)
    {
        var bare = Path.GetFileName((name ?? "").Replace('\\', '/'));
        // by whole characters: an emoji (a pair of surrogates) is kept, half of one (which EnumerateRunes reads as U+FFFD) is not
        var clean = string.Concat(bare.EnumerateRunes()
            .Where(r => r != System.Text.Rune.ReplacementChar && !System.Text.Rune.IsControl(r) && r.Value is not '"' and not '/' and not ':'
                        && System.Text.Rune.GetUnicodeCategory(r) != System.Globalization.UnicodeCategory.Format)
            .Select(r => r.ToString())).Trim();
        if (clean.Length == 0) clean = "evidence";
        if (Extensions(contentType) is [var usual, ..] extensions && !extensions.Any(e => clean.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            clean += usual;
        return clean.Length <= 255 ? clean : clean[(char.IsLowSurrogate(clean[^255]) ? ^254 : ^255)..];
    }

    private static string[] Extensions(string? contentType) => contentType switch
    {
        "application/pdf" => [".pdf"],
        "image/png" => [".png"],
        "image/jpeg" => [".jpg", ".jpeg"],
        _ => [],
    };
}
