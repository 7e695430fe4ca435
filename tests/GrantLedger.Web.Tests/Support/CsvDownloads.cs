using System.Text;

namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// A CSV download as its reader opens it: a page's, for a spreadsheet, starts with UTF-8's byte order mark (without it Excel
/// reads "£" as "Â£"); the API's, for programs, starts without one.
/// </summary>
public static class CsvDownloads
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    /// <summary>A page's download, whose text after the mark is returned: fails the test when it does not start with the mark.</summary>
    public static async Task<string> FromPageAsync(HttpResponseMessage answer)
    {
        var bytes = await answer.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.AsSpan().StartsWith(ByteOrderMark), "a page's CSV download starts with UTF-8's byte order mark, for the spreadsheet it is opened in");
        return Encoding.UTF8.GetString(bytes, ByteOrderMark.Length, bytes.Length - ByteOrderMark.Length);
    }

    /// <summary>The API's CSV answer at <paramref name="url"/>: fails the test when it is refused or starts with the mark.</summary>
    public static async Task<string> FromApiAsync(HttpClient api, string url)
    {
        using var answer = await api.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        var bytes = await answer.Content.ReadAsByteArrayAsync();
        Assert.False(bytes.AsSpan().StartsWith(ByteOrderMark), "the API's CSV answers are for programs: no byte order mark");
        return Encoding.UTF8.GetString(bytes);
    }
}
