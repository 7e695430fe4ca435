using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;

namespace GrantLedger.Web.Tests.Support;

/// <summary>A page's form posted as a browser does, and the error summary it answers with.</summary>
public static partial class PageForms
{
    /// <summary>
    /// Posts <paramref name="fields"/> to <paramref name="url"/> with the token of the page at <paramref name="formAt"/> (the
    /// url itself when not given); as multipart/form-data when <paramref name="multipart"/> (a form with a file input, here
    /// sent without a file). Returns the summary's problems (the field each links to, and its text) and the page.
    /// </summary>
    public static async Task<(List<(string Field, string Text)> Problems, string Html)> PostAsync(HttpClient page, string url,
        Dictionary<string, string> fields, string? formAt = null, bool multipart = false)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(formAt ?? url));
        using HttpContent content = multipart ? Multipart(fields) : new FormUrlEncodedContent(fields);
        using var answer = await page.PostAsync(url, content);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
        return (Problems(html), html);
    }

    public static List<(string Field, string Text)> Problems(string html) =>
        ErrorLink().Matches(Summary().Match(html).Groups[1].Value).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();

    private static MultipartFormDataContent Multipart(Dictionary<string, string> fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    [GeneratedRegex("<ul class=\"govuk-list govuk-error-summary__list\">(.*?)</ul>", RegexOptions.Singleline)] private static partial Regex Summary();
    [GeneratedRegex("<li><a href=\"#([^\"]*)\">(.*?)</a></li>")] private static partial Regex ErrorLink();
}
