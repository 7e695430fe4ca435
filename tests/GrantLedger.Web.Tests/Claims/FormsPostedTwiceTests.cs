using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A creating form posted twice (a double click, or back and submit again) does its work once: each carries a one-time
/// key, and the second post with it goes where the first led, saying "This was already done". Before, "Start a claim"
/// made two claims, "Add a line" two identical lines, "Import lines" every row twice and "Upload evidence" two files.
/// </summary>
public sealed partial class FormsPostedTwiceTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task StartAClaim_PostedTwiceWithItsKey_StartsOneClaim_AndTheSecondSaysItWasAlreadyDone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var form = await page.GetStringAsync("/school/claims/new");
        var fields = new Dictionary<string, string> { ["periodId"] = w.Periods["aut1"].ToString(), ["description"] = "Cover", ["formKey"] = KeyOf(form) };

        var (first, second) = (await PostAsync(page, "/school/claims/new", fields), await PostAsync(page, "/school/claims/new", fields));

        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim"));
        Assert.Equal(first.Location, second.Location);
        Assert.Contains("This was already done", await NoticeAsync(page, second));
    }

    [Fact]
    public async Task AddALine_PostedTwiceWithItsKey_AddsOneLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var form = await page.GetStringAsync($"/school/claims/{id}/line?kind=staff-time");
        var fields = new Dictionary<string, string>
        {
            ["kind"] = "staff-time", ["staffRef"] = "STAFF-01", ["role"] = "leader", ["activity"] = "training",
            ["date-day"] = "5", ["date-month"] = "10", ["date-year"] = "2026", ["days"] = "0.5", ["categoryId"] = w.Category("staff-cover").ToString(),
            ["formKey"] = KeyOf(form),
        };
        var url = $"/school/claims/{id}/line";

        var (first, second) = (await PostAsync(page, url, fields, url + "?kind=staff-time"), await PostAsync(page, url, fields, url + "?kind=staff-time"));

        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
        Assert.Equal($"/school/claims/{id}", second.Location);
        Assert.Contains("This was already done", await NoticeAsync(page, second));
    }

    [Fact]
    public async Task ImportLines_PostedTwiceWithItsKey_AddsTheRowsOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var url = $"/school/claims/{id}/import";
        var key = KeyOf(await page.GetStringAsync(url));
        const string csv = """
            kind,staffRef,role,activity,date,days,categoryId
            staff-time,STAFF-01,leader,training,2026-10-05,0.2,staff-cover
            staff-time,STAFF-02,leader,training,2026-10-05,0.2,staff-cover
            """;

        for (var i = 0; i < 2; i++)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent(PageFormFuzzTests.TokenOf(await page.GetStringAsync(url))), PageFormFuzzTests.Token },
                { new StringContent(key), "formKey" },
                { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "lines.csv" },
            };
            using var answer = await page.PostAsync(url, form);
            // the second post goes where the first led, as the first did (before, the second import refused the rows as taken, or added them again)
            Assert.True(answer.StatusCode == HttpStatusCode.Redirect,
                $"post {i + 1}: {string.Join("; ", PageForms.Problems(WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync())).Select(p => p.Text))}");
            Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
        }
    }

    [Fact]
    public async Task UploadEvidence_PostedTwiceWithItsKey_AttachesOneFile()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        await UploadTwiceAsync(page, $"/school/claims/{id}/evidence");

        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));
    }

    /// <summary>
    /// A file posted twice from the check page goes back there, and the notice is said there: the page did not show it, so it
    /// surfaced on whichever page next showed notices (the claim's, later), about nothing done there.
    /// </summary>
    [Fact]
    public async Task UploadEvidence_PostedTwiceFromTheCheckPage_SaysItWasAlreadyDone_There()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var to = await UploadTwiceAsync(page, $"/school/claims/{id}/evidence?from=check");

        Assert.Equal($"/school/claims/{id}/check", to);
        Assert.Contains("This was already done", await NoticeAsync(page, (HttpStatusCode.Redirect, to)));
        Assert.DoesNotContain("This was already done", await page.GetStringAsync($"/school/claims/{id}"));
    }

    /// <summary>
    /// Issuing an API token posted twice issued two: the second's secret shown, the first's live and never seen by anyone.
    /// The first post shows its secret in its own answer; the second issues nothing and goes to the tokens, saying so.
    /// </summary>
    [Fact]
    public async Task IssueAToken_PostedTwiceWithItsKey_IssuesOneToken_ShownInTheFirstAnswerOnly()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        const string url = "/account/tokens/new";
        var fields = new Dictionary<string, string> { ["name"] = "nightly export", ["days"] = "7", ["formKey"] = KeyOf(await page.GetStringAsync(url)) };
        Assert.NotEqual("", fields["formKey"]);

        using var first = await page.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(url)) }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var secret = Regex.Match(await first.Content.ReadAsStringAsync(), "id=\"token-secret\">(glt_[A-Za-z0-9_-]{43})</code>").Groups[1].Value;
        Assert.NotEmpty(secret);
        var second = await PostAsync(page, url, fields);

        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM api_token WHERE user_id = $1 AND name = 'nightly export'", w.School.UserId));
        Assert.Equal("/account/tokens", second.Location);
        var tokens = await NoticeAsync(page, second);
        Assert.Contains("This was already done: the token nightly export was issued, and shown once only.", tokens);
        Assert.DoesNotContain(secret, tokens);
    }

    /// <summary>Uploads one file twice with the form's one key, as a double click does: where the second post led.</summary>
    private static async Task<string> UploadTwiceAsync(HttpClient page, string url)
    {
        var key = KeyOf(await page.GetStringAsync(url));
        string? to = null;
        for (var i = 0; i < 2; i++)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent(PageFormFuzzTests.TokenOf(await page.GetStringAsync(url))), PageFormFuzzTests.Token },
                { new StringContent(key), "formKey" },
                { new StringContent("claim"), "lineId" },
                { new ByteArrayContent(ClaimWorld.Pdf("INV-9")), "file", "inv-9.pdf" },
            };
            using var answer = await page.PostAsync(url, form);
            Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
            to = answer.Headers.Location!.OriginalString;
        }
        return to!;
    }

    /// <summary>The page's hidden one-time key, as a browser posts it back ("" when the form has none).</summary>
    private static string KeyOf(string html) => FormKey().Match(html) is { Success: true } m ? m.Groups[1].Value : "";

    /// <summary>Posts the form as a browser does, with the antiforgery token of the page it is on: the redirect it answers.</summary>
    private static async Task<(HttpStatusCode Status, string? Location)> PostAsync(HttpClient page, string url, Dictionary<string, string> fields, string? formAt = null)
    {
        var posted = new Dictionary<string, string>(fields) { [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(formAt ?? url)) };
        using var answer = await page.PostAsync(url, new FormUrlEncodedContent(posted));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return (answer.StatusCode, answer.Headers.Location?.OriginalString);
    }

    private static async Task<string> NoticeAsync(HttpClient page, (HttpStatusCode Status, string? Location) posted) =>
        WebUtility.HtmlDecode(await page.GetStringAsync(posted.Location));

    [GeneratedRegex("name=\"formKey\" value=\"([^\"]*)\"")] private static partial Regex FormKey();
}
