namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// How many items a page of one of the API's lists holds: the <c>limit</c> asked, 1 to the list's most, or its default when none
/// was asked (null: the whole list, for a list that gave it whole before it paged); past the bounds, 422 naming <c>limit</c>, in
/// every list alike.
/// </summary>
public static class PageSize
{
    public static int Of(int? limit, int most, int @default) => Of(limit, most, (int?)@default)!.Value;

    public static int? Of(int? limit, int most, int? @default) =>
        (limit ?? @default) is not { } n ? null
        : n is >= 1 && n <= most ? n
        : throw new Core.Rules.InvalidInput("limit", $"must be between 1 and {most}");
}

/// <summary>
/// A list's <c>limit</c> as the OpenAPI document gives it: 1 to <see cref="Most"/>, <see cref="Default"/> when none is asked (none:
/// the whole list), the bounds its <see cref="PageSize.Of(int?, int, int)"/> checks. Documentation only.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
public sealed class LimitAttribute(int most) : Attribute
{
    public int Most { get; } = most;
    /// <summary>How many a page holds when none is asked; 0: the whole list.</summary>
    public int Default { get; init; }
}
