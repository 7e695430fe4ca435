namespace GrantLedger.Core.Workflow;

/// <summary>The one spelling of states and triggers outside C#: kebab-case ("under-review", "second-approve").</summary>
public static class Kebab
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.ByValue.TryGetValue(value, out var text) ? text : Convert(value.ToString());

    /// <summary>
    /// What a trigger did, in the past tense every ledger entry's description uses ("Claim CLM-000021 approved: …"):
    /// "approve" → "approved", "withdraw" → "withdrawn", "mark-paid" → "paid".
    /// </summary>
    public static string Done(string trigger) => trigger switch
    {
        "submit" => "submitted", "withdraw" => "withdrawn", "start-review" => "taken into review", "approve" => "approved",
        "second-approve" => "approved at second approval", "return" => "returned", "reject" => "rejected",
        "add-to-payment-run" => "added to a payment run", "remove-from-payment-run" => "removed from a payment run",
        "mark-paid" => "paid", "payment-failed" => "not paid: its payment failed", "export" => "exported", "cancel" => "cancelled",
        "agree" => "agreed", "supersede" => "superseded",
        _ => trigger.Replace('-', ' '),
    };

    public static bool TryParse<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        if (text is not null && Names<TEnum>.ByText.TryGetValue(text, out value)) return true;
        value = default;
        return false;
    }

    /// <summary>Each enum's names, converted once: the workflow names states and triggers on every request.</summary>
    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> ByValue =
            Enum.GetValues<TEnum>().Distinct().ToDictionary(v => v, v => Convert(v.ToString()));

        public static readonly Dictionary<string, TEnum> ByText =
            ByValue.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.First().Key);
    }

    private static string Convert(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    /// <summary>A stored state read back: one the enum does not know is a bug, not bad input.</summary>
    public static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value) ? value : throw new InvalidOperationException($"'{text}' is not a {typeof(TEnum).Name}");
}
