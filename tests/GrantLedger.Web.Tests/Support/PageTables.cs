using System.Net;
using System.Text.RegularExpressions;

namespace GrantLedger.Web.Tests.Support;

/// <summary>A page read as its reader sees it (entities decoded), and its tables found by id, row by row, cell by cell.</summary>
public static class PageTables
{
    public static async Task<string> Read(HttpClient page, string url) => WebUtility.HtmlDecode(await page.GetStringAsync(url));

    /// <summary>The table with this id, whole; fails the test when the page has none.</summary>
    public static string Table(string html, string id)
    {
        var m = Regex.Match(html, $"<table[^>]*id=\"{id}\".*?</table>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no table {id}");
        return m.Value;
    }

    /// <summary>A page's "Waiting for you" notification banner (id to-do), whole; fails the test when the page has none.</summary>
    public static string WaitingForYou(string html)
    {
        var m = Regex.Match(html, "<div class=\"govuk-notification-banner\"[^>]*id=\"to-do\".*?</div>\\s*</div>", RegexOptions.Singleline);
        Assert.True(m.Success, "no 'Waiting for you' banner");
        return m.Value;
    }

    /// <summary>The rows of a table's bodies, in order (its head and foot left out).</summary>
    public static IEnumerable<string> Rows(string table) =>
        Regex.Matches(table, "<tbody.*?</tbody>", RegexOptions.Singleline).SelectMany(b => Regex.Matches(b.Value, "<tr.*?</tr>", RegexOptions.Singleline))
            .Select(m => m.Value);

    /// <summary>The text of a row's cells (headers and data), tags taken out and spaces collapsed.</summary>
    public static string[] Cells(string row) =>
        Regex.Matches(row, "<t[hd]\\b[^>]*>(.*?)</t[hd]>", RegexOptions.Singleline)
            .Select(m => Regex.Replace(Regex.Replace(m.Groups[1].Value, "<[^>]+>", ""), @"\s+", " ").Trim()).ToArray();
}
