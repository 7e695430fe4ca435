namespace GrantLedger.Core.Workflow;

/// <summary>The one spelling of states and triggers outside C#: kebab-case ("under-review", "second-approve").</summary>
public static class Kebab
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.ByValue.TryGetValue(value, out var text) ? text : Convert(value.ToString());

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
