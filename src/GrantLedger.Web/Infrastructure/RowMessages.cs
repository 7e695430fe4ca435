namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// What an import (claim lines, schools, payment confirmations) says of a row, one way for all three: a sentence a school
/// business manager reads, naming the field in words and by its column where the words are not the column's name ("enter
/// the supplier", "enter the invoice reference (invoiceRef)", "the amount must be a number of pounds and pence, such as
/// 1,250.00"), with the row's line where the answer does not give it beside ("Line 3: enter the supplier"). They read
/// "line 3, supplier: is required".
/// </summary>
public static class RowMessages
{
    /// <summary>An amount a file gives that is not money (a file may write it "1,250.00" or "£1,250.00").</summary>
    public const string AmountWanted = "must be a number of pounds and pence, such as 1,250.00";

    private static readonly Dictionary<string, string> Words = new(StringComparer.OrdinalIgnoreCase)
    {
        ["kind"] = "the kind of line", ["categoryId"] = "the budget category", ["category"] = "the budget category", ["allowanceCategoryId"] = "the allowance's budget category",
        ["staffRef"] = "the staff reference", ["role"] = "the role", ["activity"] = "the activity", ["date"] = "the date",
        ["hours"] = "the hours", ["days"] = "the days", ["actionId"] = "the action", ["actionRef"] = "the action's number",
        ["supplier"] = "the supplier", ["invoiceRef"] = "the invoice reference", ["amount"] = "the amount",
        ["specialist"] = "the specialist", ["description"] = "the description",
        ["URN"] = "the URN", ["EstablishmentName"] = "the school's name", ["PhaseOfEducation (name)"] = "the phase of education",
        ["LA (name)"] = "the local authority", ["Area"] = "the area", ["PayeeReference"] = "the payee reference",
        ["remittance_reference"] = "the remittance reference", ["status"] = "the status",
    };

    private static readonly string[] Instructions = ["enter ", "choose ", "give ", "select ", "put ", "leave "];

    /// <summary>The field as a sentence names it: "the supplier", "the invoice reference (invoiceRef)".</summary>
    public static string Field(string column)
    {
        if (!Words.TryGetValue(column, out var words)) return column;
        var plain = words.Replace("the ", "").Replace(" ", "");
        return plain.Equals(column.Replace("_", ""), StringComparison.OrdinalIgnoreCase) ? words
            : column.Contains('(') ? $"{words} ('{column}')" : $"{words} ({column})";
    }

    /// <summary>
    /// What is wrong with a row's field, given as a use case says it ("is required", "must be …", "enter the invoice
    /// amount"), as a sentence that names the field: "enter the supplier", "the amount must be …".
    /// </summary>
    public static string Says(string column, string message)
    {
        var field = Field(column);
        if (message == "is required") return $"enter {field}";
        if (message.StartsWith("must ") || message.StartsWith("is ") || message.StartsWith("cannot ") || message.StartsWith("appears "))
            return $"{field} {message}";
        if (Instructions.FirstOrDefault(message.StartsWith) is { } verb)
        {
            // "enter the staff reference as …" names its field already: give its column beside it
            if (Words.TryGetValue(column, out var words) && message.AsSpan(verb.Length).StartsWith(words))
                return verb + field + message[(verb.Length + words.Length)..];
            return field == Words.GetValueOrDefault(column) ? message : $"{message} ({column})";
        }
        return $"{field}: {message}";
    }

    /// <summary>A money field's refusal as an import says it: an amount not written as money is <see cref="AmountWanted"/>.</summary>
    public static string Amount(string? error) =>
        error is null || error.StartsWith("must be an amount in pounds") ? AmountWanted : error;

    /// <summary>A row's problem by its line: "Line 3: enter the supplier", "Line 3 has 5 fields but the header has 4 columns".</summary>
    public static string At(int line, string sentence) => sentence.StartsWith("has ") ? $"Line {line} {sentence}" : $"Line {line}: {sentence}";
}
