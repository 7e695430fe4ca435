using System.Globalization;

namespace GrantLedger.Core.Rules;

/// <summary>
/// Text people type — names, references, suppliers, invoice numbers, reasons, notes — is stored as typed and shown to
/// others, so it may hold only characters that show as they are stored. Refused: control characters (text of many
/// lines, such as a reason, keeps its line breaks and tabs), and every invisible or direction-changing one: Unicode's
/// format characters (bidi overrides, embeddings, isolates and marks, zero-width spaces and joiners, the word joiner,
/// the byte order mark …) and the line and paragraph separators. With them a reviewer reads "£10" where "£1000" is
/// stored, or one supplier's name is made to read as another's. PostgreSQL refuses the same characters in the columns
/// that identify someone (migration 0066's <c>plain_text</c>).
/// </summary>
public static class FreeText
{
    /// <summary>
    /// The text as every free-text field keeps it: without the space and line breaks around it (a text area's last Enter,
    /// a pasted line's spaces), its own line breaks and spaces kept; null when it is nothing but space, which a required
    /// field refuses as left out (<see cref="Problem"/>: "is required", a page's "Enter …"). The text a use case saves, and
    /// records in the audit trail, is this, never the text as sent.
    /// </summary>
    public static string? Kept(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>
    /// What is wrong with a field's text, or null: blank when it is required, longer than <paramref name="max"/> characters
    /// once trimmed, or holding a character that does not show as it is stored (<see cref="CharacterProblem"/>).
    /// </summary>
    public static string? Problem(string? text, int max, bool required = true, bool manyLines = false)
    {
        var trimmed = Kept(text);
        if (trimmed is null) return required ? "is required" : null;
        if (trimmed.Length > max) return $"must be at most {max.ToString("N0", CultureInfo.InvariantCulture)} characters";
        return CharacterProblem(trimmed, manyLines);
    }

    /// <summary>What is wrong with the text's characters, or null when every one shows as it is stored.</summary>
    /// <param name="manyLines">text of many lines (a reason, a note), which keeps its line breaks and tabs</param>
    public static string? CharacterProblem(string text, bool manyLines = false)
    {
        var position = 0; // in characters as a person counts them: a pair of UTF-16 surrogates is one
        for (var i = 0; i < text.Length; i++)
        {
            position++;
            var c = text[i];
            if (c is >= ' ' and < '\u007F') continue; // printable ASCII: most text is nothing else
            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) codePoint = char.ConvertToUtf32(c, text[++i]);
            else if (char.IsSurrogate(c)) return $"must not contain half of a character (U+{(int)c:X4} at character {position}): type the text again";
            var at = $"{Name(codePoint)} at character {position}";
            switch (CharUnicodeInfo.GetUnicodeCategory(codePoint))
            {
                case UnicodeCategory.Control when c is '\n' or '\r' or '\t':
                    if (manyLines) continue;
                    return $"must be one line: it contains {(c == '\t' ? "a tab" : "a line break")} ({at})";
                case UnicodeCategory.Control:
                    return $"must not contain a control character ({at}), which does not show: remove it";
                case UnicodeCategory.Format when manyLines && c is '\u200C' or '\u200D' && Joins(text, i):
                    continue;
                case UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return $"must not contain a hidden or direction-changing character ({at}): it makes the text display differently from what is stored; remove it";
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the zero-width joiner or non-joiner at <paramref name="i"/> joins two visible characters of a script or of
    /// emoji that need it (a teacher emoji drawn as a woman joined to a school, a Persian word's letters kept apart):
    /// text of many lines keeps those. Beside a character of the keyboard (ASCII), a space or another invisible one it
    /// only makes "Acme" differ from "Ac{U+200D}me", and is refused. Text of one line (names, references, suppliers) keeps
    /// none, as PostgreSQL's <c>plain_line</c> does.
    /// </summary>
    private static bool Joins(string text, int i) => i > 0 && i + 1 < text.Length && Visible(text[i - 1]) && Visible(text[i + 1]);

    private static bool Visible(char c) => c > '\u007F' && !char.IsWhiteSpace(c)
        && CharUnicodeInfo.GetUnicodeCategory(c) is not (UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator);

    /// <summary>A character as the refusals name it: its code, and its name for those that are typed or pasted by mistake.</summary>
    private static string Name(int codePoint) =>
        $"U+{codePoint:X4}" + (Names.TryGetValue(codePoint, out var name) ? " " + name : "");

    private static readonly Dictionary<int, string> Names = new()
    {
        [0x0009] = "TAB", [0x000A] = "LINE FEED", [0x000D] = "CARRIAGE RETURN", [0x00AD] = "SOFT HYPHEN", [0x061C] = "ARABIC LETTER MARK",
        [0x200B] = "ZERO WIDTH SPACE", [0x200C] = "ZERO WIDTH NON-JOINER", [0x200D] = "ZERO WIDTH JOINER",
        [0x200E] = "LEFT-TO-RIGHT MARK", [0x200F] = "RIGHT-TO-LEFT MARK", [0x2028] = "LINE SEPARATOR", [0x2029] = "PARAGRAPH SEPARATOR",
        [0x202A] = "LEFT-TO-RIGHT EMBEDDING", [0x202B] = "RIGHT-TO-LEFT EMBEDDING", [0x202C] = "POP DIRECTIONAL FORMATTING",
        [0x202D] = "LEFT-TO-RIGHT OVERRIDE", [0x202E] = "RIGHT-TO-LEFT OVERRIDE", [0x2060] = "WORD JOINER",
        [0x2066] = "LEFT-TO-RIGHT ISOLATE", [0x2067] = "RIGHT-TO-LEFT ISOLATE", [0x2068] = "FIRST STRONG ISOLATE",
        [0x2069] = "POP DIRECTIONAL ISOLATE", [0xFEFF] = "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
    };
}
