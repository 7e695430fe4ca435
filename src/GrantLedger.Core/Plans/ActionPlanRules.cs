namespace GrantLedger.Core.Plans;

/// <summary>The shape of an action plan that the lifecycle does not decide: themes and actions.</summary>
public static class ActionPlanRules
{
    /// <summary>The eight themes of the inclusion framework.</summary>
    public static readonly IReadOnlyList<string> Themes =
        ["transitions", "environments", "policies", "learning", "support", "mindsets", "connections", "communities"];

    public const int MinThemes = 2;
    public const int MaxThemes = 3;

    /// <summary>Why the chosen themes are not a valid choice, or null when they are: 2 or 3 distinct themes of the eight.</summary>
    public static string? CheckThemes(IReadOnlyList<string>? themes)
    {
        if (themes is null || themes.Count is < MinThemes or > MaxThemes)
            return $"choose {MinThemes} or {MaxThemes} priority themes (you chose {themes?.Count ?? 0})";
        var unknown = themes.Where(t => !Themes.Contains(t)).ToList();
        if (unknown.Count > 0)
            return $"'{string.Join("', '", unknown)}' is not a theme: choose from {string.Join(", ", Themes)}";
        if (themes.Distinct().Count() != themes.Count) return "each theme may be chosen once";
        return null;
    }
}
