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

    /// <summary>Every problem the error summary lists, "field: text" when it links to a field, else the text alone (a rule about the whole form).</summary>
    public static List<string> SummaryItems(string html) =>
        SummaryItem().Matches(Summary().Match(html).Groups[1].Value)
            .Select(m => ErrorLink().Match(m.Value) is { Success: true } link ? $"{link.Groups[1].Value}: {link.Groups[2].Value}" : m.Groups[1].Value).ToList();

    /// <summary>A check-your-answers page's confirming form (its action names the Confirm handler): its address and hidden fields.</summary>
    public static (string Action, List<KeyValuePair<string, string>> Fields) ConfirmingForm(string html)
    {
        var form = ConfirmForm().Match(html);
        Assert.True(form.Success, "no confirming form");
        return (form.Groups[1].Value,
            Hidden().Matches(form.Groups[2].Value).Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, m.Groups[2].Value)).ToList());
    }

    private static MultipartFormDataContent Multipart(Dictionary<string, string> fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    [GeneratedRegex("<ul class=\"govuk-list govuk-error-summary__list\">(.*?)</ul>", RegexOptions.Singleline)] private static partial Regex Summary();
    [GeneratedRegex("<li><a href=\"#([^\"]*)\">(.*?)</a></li>")] private static partial Regex ErrorLink();
    [GeneratedRegex("<li>(.*?)</li>")] private static partial Regex SummaryItem();
    [GeneratedRegex("<form [^>]*action=\"([^\"]*handler=Confirm[^\"]*)\"[^>]*>(.*?)</form>", RegexOptions.Singleline)] private static partial Regex ConfirmForm();
    [GeneratedRegex("<input (?=[^>]*type=\"hidden\")[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"")] private static partial Regex Hidden();
}
