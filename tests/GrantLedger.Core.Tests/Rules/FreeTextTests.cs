using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Tests.Rules;

public sealed class FreeTextTests
{
    /// <summary>
    /// A hidden or direction-changing character is refused in text of one line and of many, naming it: with a
    /// right-to-left override a reviewer reads "£10" where "£1000" is stored, and one supplier's name reads as another's.
    /// </summary>
    [Theory]
    [InlineData(0x202A)] [InlineData(0x202B)] [InlineData(0x202C)] [InlineData(0x202D)] [InlineData(0x202E)]
    [InlineData(0x2066)] [InlineData(0x2067)] [InlineData(0x2068)] [InlineData(0x2069)]
    [InlineData(0x200E)] [InlineData(0x200F)] [InlineData(0x061C)]
    [InlineData(0x200B)] [InlineData(0x200C)] [InlineData(0x200D)] [InlineData(0x2060)] [InlineData(0xFEFF)]
    [InlineData(0x00AD)] [InlineData(0x2028)] [InlineData(0x2029)] [InlineData(0xE0041)]
    public void AHiddenOrDirectionChangingCharacter_IsRefused_NamingIt(int codePoint)
    {
        var text = "£10" + char.ConvertFromUtf32(codePoint) + "00 Sensory Ltd";
        foreach (var manyLines in new[] { false, true })
        {
            var problem = FreeText.CharacterProblem(text, manyLines);
            Assert.NotNull(problem);
            Assert.StartsWith($"must not contain a hidden or direction-changing character (U+{codePoint:X4}", problem);
            Assert.Contains("at character 4", problem);
        }
    }

    /// <summary>
    /// Text of many lines (a plan's summary, a reason) keeps a joiner that joins two visible characters that need it: an
    /// emoji drawn by joining others, a Persian word. Beside a keyboard's letter, a space or at an end it only hides a
    /// difference, and one line (a name, a supplier) keeps none.
    /// </summary>
    [Theory]
    [InlineData("staff \U0001F469\u200D\U0001F3EB training")] // 👩‍🏫
    [InlineData("\U0001F469\U0001F3FD\u200D\U0001F3EB")] // 👩🏽‍🏫
    [InlineData("family \U0001F468\u200D\U0001F469\u200D\U0001F467")] // 👨‍👩‍👧
    [InlineData("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645")] // می‌خواهم
    public void AJoinerBetweenVisibleCharactersThatNeedIt_IsKept_InTextOfManyLinesOnly(string text)
    {
        Assert.Null(FreeText.CharacterProblem(text, manyLines: true));
        Assert.StartsWith("must not contain a hidden or direction-changing character (U+200", FreeText.CharacterProblem(text));
    }

    [Theory]
    [InlineData("Ac\u200Dme")] [InlineData("\u200D\U0001F3EB")] [InlineData("\U0001F469\u200D")] [InlineData("\U0001F469\u200D \U0001F3EB")]
    [InlineData("\U0001F469\u200D\u200D\U0001F3EB")] [InlineData("\u0645\u200C\u202E\u062E")]
    public void AJoinerThatJoinsNothingVisible_IsRefused_InTextOfManyLinesToo(string text) =>
        Assert.StartsWith("must not contain a hidden or direction-changing character (U+20", FreeText.CharacterProblem(text, manyLines: true));

    [Fact]
    public void TheRefusal_NamesTheCharacter_AndCountsAPairOfSurrogatesAsOne()
    {
        Assert.Equal("must not contain a hidden or direction-changing character (U+202E RIGHT-TO-LEFT OVERRIDE at character 3): " +
                     "it makes the text display differently from what is stored; remove it", FreeText.CharacterProblem("🙂a\u202Eb"));
    }

    [Theory]
    [InlineData(0x0000)] [InlineData(0x0007)] [InlineData(0x001B)] [InlineData(0x007F)] [InlineData(0x0085)] [InlineData(0x009B)]
    public void AControlCharacter_IsRefused_InTextOfManyLinesToo(int codePoint)
    {
        foreach (var manyLines in new[] { false, true })
            Assert.StartsWith($"must not contain a control character (U+{codePoint:X4}", FreeText.CharacterProblem("INV" + (char)codePoint + "1", manyLines));
    }

    /// <summary>A reason or a note keeps its line breaks and tabs; a name, a supplier or a reference is one line.</summary>
    [Theory]
    [InlineData("first line\nsecond", "a line break (U+000A LINE FEED at character 11)")]
    [InlineData("first line\r\nsecond", "a line break (U+000D CARRIAGE RETURN at character 11)")]
    [InlineData("INV\t1", "a tab (U+0009 TAB at character 4)")]
    public void LineBreaksAndTabs_AreKeptInTextOfManyLines_AndRefusedInOneLine(string text, string named)
    {
        Assert.Null(FreeText.CharacterProblem(text, manyLines: true));
        Assert.Equal($"must be one line: it contains {named}", FreeText.CharacterProblem(text));
    }

    [Fact]
    public void HalfOfASurrogatePair_IsRefused()
    {
        Assert.StartsWith("must not contain half of a character (U+D83D at character 2)", FreeText.CharacterProblem("a\uD83D"));
        Assert.StartsWith("must not contain half of a character (U+DE42 at character 1)", FreeText.CharacterProblem("\uDE42b"));
    }

    /// <summary>Text in any script, with accents, symbols and emoji, is what people type: it is kept.</summary>
    [Theory]
    [InlineData("O’Brien & Daughters — Café £1,250.50 (VAT 20%)")]
    [InlineData("Ysgol Gymraeg Bro Morgannwg")]
    [InlineData("مدرسة النور")] // right-to-left text is shown as typed; only the controls that reorder it are refused
    [InlineData("学校 · Łódź · Ærø · e\u0301")]
    [InlineData("Sensory room 🙂 ✓")]
    [InlineData("\u00A0non-breaking\u3000spaces")]
    public void VisibleText_InAnyScript_IsKept(string text)
    {
        Assert.Null(FreeText.CharacterProblem(text));
        Assert.Null(FreeText.Problem(text, 200));
    }

    [Fact]
    public void AField_IsRequiredUnlessOptional_AndAtMostItsLength_OnceTrimmed()
    {
        Assert.Equal("is required", FreeText.Problem("   ", 10));
        Assert.Equal("is required", FreeText.Problem(null, 10));
        Assert.Null(FreeText.Problem(null, 10, required: false));
        Assert.Null(FreeText.Problem("  ten chars!  ", 10));
        Assert.Equal("must be at most 2,000 characters", FreeText.Problem(new string('x', 2001), 2000));
        // trimmed first: a line break at either end of one line is whitespace, not part of it
        Assert.Null(FreeText.Problem("Sensory Ltd\r\n", 200));

        var errors = new FieldErrors();
        Assert.Equal("Sensory Ltd", errors.Text("supplier", " Sensory Ltd ", 200));
        errors.Text("invoiceRef", "INV\u202E1", 100);
        var refused = Assert.Throws<InvalidInput>(errors.ThrowIfAny);
        Assert.Equal(["invoiceRef"], refused.Errors.Keys);
    }
}
