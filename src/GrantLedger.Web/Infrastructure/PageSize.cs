namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// How many items a page of one of the API's lists holds, declared once for the list: 1 to <see cref="Most"/>, and
/// <see cref="Default"/> when no <c>limit</c> is asked (null: the whole list, for a list that gave it whole before it paged).
/// Past the bounds, 422 naming <c>limit</c>, in every list alike. The list's <c>limit</c> names its page size with
/// <see cref="LimitAttribute"/>, from which the OpenAPI document gives the bounds and the default: what is checked is what is documented.
/// </summary>
public interface IPageSize
{
    int Most { get; }
    int? Default { get; }
}

/// <summary>A list read a page at a time: <see cref="Default"/> items when no <c>limit</c> is asked.</summary>
public sealed record PageSize(int Most, int Default) : IPageSize
{
    int? IPageSize.Default => Default;

    /// <summary>The page's size: the <c>limit</c> asked, or the list's default.</summary>
    public int Of(int? limit) => Within(limit ?? Default, Most);

    internal static int Within(int limit, int most) =>
        limit is >= 1 && limit <= most ? limit : throw new Core.Rules.InvalidInput("limit", $"must be between 1 and {most}");
}

/// <summary>A list given whole unless a <c>limit</c> is asked, as it was before it paged.</summary>
public sealed record WholeUnlessLimited(int Most) : IPageSize
{
    int? IPageSize.Default => null;

    /// <summary>The page's size: the <c>limit</c> asked, or null for the whole list.</summary>
    public int? Of(int? limit) => limit is { } n ? PageSize.Within(n, Most) : null;
}

/// <summary>
/// A list's <c>limit</c>: its page size, named by its holder and member (as <see cref="OneOfAttribute"/> names a list of
/// values), for the OpenAPI document to give its bounds and default. The list checks the same page size.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
public sealed class LimitAttribute(Type holder, string member) : Attribute
{
    public IPageSize Page { get; } =
        holder.GetField(member)?.GetValue(null) as IPageSize ?? holder.GetProperty(member)?.GetValue(null) as IPageSize
        ?? throw new ArgumentException($"{holder.Name}.{member} is not a static page size");
}
