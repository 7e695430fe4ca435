using System.Globalization;
using Microsoft.AspNetCore.Html;

namespace GrantLedger.Web.Pages;

/// <summary>
/// A list read a page at a time (the accounts, the schools, the users): which page of how many, the rows to skip, and what
/// the caption and the GOV.UK pagination say of it.
/// </summary>
public sealed record Paging(int Total, int Number, int Size)
{
    public int Pages => Math.Max(1, (Total + Size - 1) / Size);
    public int Skip => (Number - 1) * Size;

    /// <summary>The page asked for (<c>?page=</c>, read from the query itself: Razor Pages keep a route value of that name), within the list's pages; the first when none is asked or it cannot be read.</summary>
    public static Paging Of(int total, string? asked, int size)
    {
        var pages = Math.Max(1, (total + size - 1) / size);
        return new(total, int.TryParse(asked, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, pages) : 1, size);
    }

    /// <summary>"Schools 101 to 200 of 1,680": the <paramref name="shown"/> rows of this page, counted from one.</summary>
    public string Range(string plural, int shown) => $"{plural} {N(Skip + 1)} to {N(Skip + shown)} of {N(Total)}";

    /// <summary>"1 account", "8,412 accounts".</summary>
    public string Count(string one, string many) => Total == 1 ? $"1 {one}" : $"{N(Total)} {many}";

    /// <summary>A table's caption: "8,412 accounts" on one page; "Accounts 501 to 1,000 of 8,412" on one of several.</summary>
    public string Caption(string one, string many, int shown) =>
        Pages == 1 ? Count(one, many) : Range(char.ToUpperInvariant(many[0]) + many[1..], shown);

    /// <summary>The GOV.UK pagination under the list (nothing when it has one page).</summary>
    public IHtmlContent Links(Func<int, string> href) => Gov.Pagination(Number, Pages, href);

    private static string N(int x) => Gov.Number(x);
}
