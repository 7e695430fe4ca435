using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Pages.School;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit.Abstractions;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// The pages' forms, as <see cref="FuzzTests"/> does for the API's bodies. Each role signs in through the sign-in page
/// and walks every page it can reach from its start page, by links and redirects; every form it finds is sent again
/// with one field at a time set to something hostile (the other fields as the page gave them), and so is every link's
/// query, one parameter at a time. The service never answers 500 or logs an error; a form refused (sent back with its
/// errors, or a 4xx) wrote nothing, and a read (a search form, a link) writes nothing at all; and a redirect goes to one
/// of the service's own pages, by an address short enough for any browser and proxy.
/// </summary>
public sealed partial class PageFormFuzzTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    internal static readonly string[] Hostile =
        [new string('x', 100_000), "\u0000", "1e400", "-1", "99999999999999999999", "2026-02-30", "\u202Egnp.exe 👩‍👩‍👧", "<script>alert(1)</script>",
         "'; DROP TABLE claim;--", "=1+1", " "];

    /// <summary>The longest address a redirect may send a browser to (what every browser and proxy is known to carry).</summary>
    private const int LongestAddress = 2_048;

    /// <summary>A form on a page, or a link with a query (a GET form filled in).</summary>
    private sealed record Form(string Page, string Target, IReadOnlyList<(string Name, string Value)> Fields, bool Posts = true);

    [Fact]
    public async Task HostileFormFields_NeverAnswer500_ARefusedFormWritesNothing_AndRedirectsStayLocalAndShort()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        // something for each form to act on: in area 0 a claim submitted, one under review, one awaiting a second
        // approval, and a plan sent to the area lead
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 20000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var submitted = await w.NewClaimAsync(w.OtherSchool);
        await w.AddStaffTimeAsync(submitted, "P-01", "2026-10-09", school: w.OtherSchool);
        (await w.SubmitAsync(submitted, w.OtherSchool)).Expect(HttpStatusCode.OK);
        await w.UnderReviewAsync("P-02", "2026-10-12");
        (await w.Lead.PostAsync($"/api/v1/claims/{await w.UnderReviewAsync("P-03", "2026-10-13")}/approve", null)).Expect(HttpStatusCode.OK);
        var plan = (await w.OtherSchool.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = w.S.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = "2026-09-20",
            actions = new[]
            {
                new { theme = "learning", description = "Kit", periodId = w.Periods["aut1"], estimatedCost = "10.00" },
                new { theme = "support", description = "Training", periodId = w.Periods["aut1"], estimatedCost = "20.00" },
            },
        })).Expect(HttpStatusCode.Created).Id;
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{plan}/submit", null)).Expect(HttpStatusCode.OK);

        // pages reached only by sending a form first: a draft's line of each kind; and pages the walk's 80 do not reach: a
        // user's page and its confirmations (of the programme's victim user, whom nobody here signs in as)
        var (draft, victim) = (records.Own["claimId"], records.Own["userId"]);
        var start = new Dictionary<string, string[]>
        {
            [AccessMatrix.S] = ["/", .. AddLineModel.Kinds.Select(k => $"/school/claims/{draft}/line?kind={k.Item1}")],
            // the set-up pages first: the admin's many pages would fill the walk before a school's or a user's page (the second round
            // walks from "/"); the users' pages for the programme's victim user, whom no walking role signs in as
            [AccessMatrix.A] = ["/admin/schools/new", $"/admin/schools/{records.Own["schoolId"]}", $"/admin/schools/{records.Own["schoolId"]}/change",
                $"/admin/programme/areas/{records.Own["areaId"]}", $"/admin/programme/categories/{records.Own["categoryId"]}", "/admin/programme", $"/admin/users/{victim}",
                $"/admin/users/{victim}/reset-password", $"/admin/users/{victim}/disable", $"/admin/users/{victim}/tokens/{records.Own["id"]}/revoke", "/"],
        };
        var failures = new List<string>();
        var (posts, shapes) = (0, new HashSet<string>());
        foreach (var (role, user) in records.Users)
        {
            using var http = Db.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
            await SignInAsync(http, user.UserName);
            // twice: what the first round's forms did (a plan revised, a claim withdrawn) shows forms of its own
            foreach (var begin in new string[][] { start.GetValueOrDefault(role, ["/"]), ["/"] })
                foreach (var form in await FormsAsync(http, begin, failures))
                {
                    // one form of each shape: the same page for another record adds nothing
                    if (!shapes.Add(Digits().Replace(form.Target + " " + string.Join(",", form.Fields.Select(f => f.Name)), "N"))) continue;
                    // each field hostile in turn, then a form that posts as the page gave it (a person's own answer, which
                    // moves the record on: the second round finds what that shows)
                    var sends = form.Fields.Select(f => f.Name).Where(n => n != Token).Distinct()
                        .SelectMany(field => Hostile.Select(value => ((string?)field, value)));
                    if (form.Posts) sends = sends.Append((null, ""));
                    foreach (var (field, value) in sends)
                    {
                        var (before, errors) = (await Written.FingerprintAsync(Db), ServerErrors.Logged);
                        using var response = await SendAsync(http, form, field, value);
                        if (response is null) break;
                        posts++;
                        var status = (int)response.StatusCode;
                        var shown = $"{role} {(form.Posts ? "POST" : "GET")} {form.Target} " + (field is null ? "as given" : $"{field}={HostileAnswers.Clip(value, 20)}");
                        var location = response.Headers.Location?.OriginalString;
                        if (status >= 500) failures.Add($"{shown} → {status}\n{ServerErrors.Recent()}");
                        else if (ServerErrors.Logged != errors) failures.Add($"{shown} → {status}, but the service logged an error:\n{HostileAnswers.Clip(ServerErrors.Recent(), 400)}");
                        else if ((!form.Posts || field is not null && status is 200 or >= 400) && await Written.FingerprintAsync(Db) != before)
                            failures.Add($"{shown} → {status}, {(form.Posts ? "refused" : "a read")}, but something was written");
                        else if (location is not null && (!location.StartsWith('/') || location.StartsWith("//")))
                            failures.Add($"{shown} → redirected away from the service, to {location[..Math.Min(80, location.Length)]}");
                        else if (location?.Length > LongestAddress)
                            failures.Add($"{shown} → redirected by an address of {location.Length:N0} characters ({location[..60]}…)");
                    }
                }
        }
        output.WriteLine($"{posts} hostile requests to {shapes.Count} forms and queries:\n{string.Join("\n", shapes)}");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(40)));
        Assert.True(shapes.Count >= 25, $"only {shapes.Count} forms were found: {string.Join("; ", shapes)}");
    }

    /// <summary>
    /// A form sent by hand to a page without the handler its own forms name (a POST with no <c>?handler=</c>): the page
    /// rendered without its reads and answered 500. Now 400 from a page that takes forms by another handler, 405 with
    /// the methods it takes from one that takes none; nothing written, nothing logged as an error.
    /// </summary>
    [Fact]
    public async Task AFormSentToAPageWithoutItsHandler_IsRefused_NotA500()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var records = await ScopedRecords.CreateAsync(Db, w);
        await w.UnderReviewAsync("P-02", "2026-10-12");
        // made before the posts: one of them is a revocation of the school's own API token (a page taking its form without a handler)
        var claim = await w.UnderReviewAsync("P-03", "2026-10-13");
        var (failures, answers) = (new List<string>(), new Dictionary<int, int>());
        foreach (var (role, user) in records.Users)
        {
            using var http = Db.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
            await SignInAsync(http, user.UserName);
            var pages = new List<string>();
            await FormsAsync(http, ["/"], failures, pages);
            foreach (var page in pages.Where(p => !p.StartsWith("/sign-out")))
            {
                using var shown = await http.GetAsync(page);
                if (shown.StatusCode != HttpStatusCode.OK) continue;
                var token = TokenOf(await shown.Content.ReadAsStringAsync());
                var (before, errors) = (await Written.FingerprintAsync(Db), ServerErrors.Logged);
                using var response = await http.PostAsync(page.Split('?')[0], new FormUrlEncodedContent([new(Token, token)]));
                var status = (int)response.StatusCode;
                answers[status] = answers.GetValueOrDefault(status) + 1;
                if (status >= 500 || ServerErrors.Logged != errors) failures.Add($"{role} POST {page} → {status}\n{ServerErrors.Recent()}");
                else if (status is 400 or 405 && await Written.FingerprintAsync(Db) != before) failures.Add($"{role} POST {page} → {status}, but something was written");
                else if (status == 405 && response.Content.Headers.Allow.Count == 0) failures.Add($"{role} POST {page} → 405 without the methods it takes");
            }
        }
        output.WriteLine(string.Join(", ", answers.Select(a => $"{a.Key}: {a.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(40)));
        Assert.True(answers.GetValueOrDefault(400) > 0 && answers.GetValueOrDefault(405) > 0, "no page was refused both ways");

        // the reviewer's page: the area lead's review of a claim takes forms only by its handler
        using var lead = Db.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignInAsync(lead, records.Users[AccessMatrix.L].UserName);
        var review = TokenOf(await lead.GetStringAsync($"/review/claims/{claim}"));
        using var refused = await lead.PostAsync($"/review/claims/{claim}", new FormUrlEncodedContent([new(Token, review)]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("There is a problem with what was sent", await refused.Content.ReadAsStringAsync());
    }

    internal const string Token = "__RequestVerificationToken";

    /// <summary>Signs in through the sign-in page's form, as a browser does; the client keeps the cookie.</summary>
    internal static async Task SignInAsync(HttpClient http, string userName, string password = DatabaseFixture.Password)
    {
        using var signedIn = await PostSignInAsync(http, userName, password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    /// <summary>A client of the service's pages, signed in as the user, that sees redirects as they are answered.</summary>
    internal static async Task<HttpClient> SignedInPageAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory, string userName)
    {
        var page = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SignInAsync(page, userName);
        return page;
    }

    internal static async Task<HttpResponseMessage> PostSignInAsync(HttpClient http, string userName, string password)
    {
        var page = await http.GetStringAsync("/sign-in");
        return await http.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = userName, ["password"] = password, [Token] = TokenOf(page),
        }));
    }

    /// <summary>
    /// Every page reachable from the start by links and redirects (at most 80), every form on them (sign-out and file
    /// uploads aside) and every link with a query.
    /// </summary>
    private static async Task<List<Form>> FormsAsync(HttpClient http, IEnumerable<string> start, List<string> failures, ICollection<string>? pages = null)
    {
        var (queue, seen, forms) = (new Queue<string>(start), new HashSet<string>(), new List<Form>());
        while (queue.Count > 0 && seen.Count < 80)
        {
            var path = queue.Dequeue();
            if (!seen.Add(path)) continue;
            using var response = await http.GetAsync(path);
            if ((int)response.StatusCode >= 500) failures.Add($"GET {path} → {(int)response.StatusCode}");
            if (response.Headers.Location?.OriginalString is { } next && next.StartsWith('/')) queue.Enqueue(next);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/html") continue;
            var page = await response.Content.ReadAsStringAsync();
            pages?.Add(path);
            foreach (Match link in Link().Matches(page))
            {
                var href = WebUtility.HtmlDecode(link.Groups[1].Value);
                if (href.StartsWith("/swagger") || href.StartsWith("/api/") || href.StartsWith("/sign-out")) continue;
                queue.Enqueue(href);
                if (href.Split('?', 2) is [var linked, var query])
                    forms.Add(new Form(path, linked, query.Split('&').Select(p => p.Split('=', 2))
                        .Select(p => (Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "")).ToList(), Posts: false));
            }
            foreach (Match form in FormElement().Matches(page))
            {
                var (attributes, body) = (form.Groups[1].Value, form.Groups[2].Value);
                if (attributes.Contains("multipart/form-data")) continue;
                var posts = Attribute(attributes, "method")?.ToLowerInvariant() == "post";
                var target = Attribute(attributes, "action") is { Length: > 0 } action ? action : posts ? path : path.Split('?')[0];
                if (target.StartsWith("/sign-out") || target.StartsWith("/sign-in")) continue;
                var fields = Fields(body);
                forms.Add(new Form(path, target, fields, posts));
                foreach (Match button in Button().Matches(body))
                    if (Attribute(button.Groups[1].Value, "formaction") is { Length: > 0 } other) forms.Add(new Form(path, other, fields));
            }
        }
        return forms;
    }

    /// <summary>The form's fields with the values the page gave them: a select's first option, a group of radios' first, a button's name and value.</summary>
    private static List<(string Name, string Value)> Fields(string form)
    {
        var fields = new List<(string, string)>();
        foreach (Match m in Field().Matches(form))
        {
            var (element, attributes) = (m.Groups[1].Value, m.Groups[2].Value);
            if (Attribute(attributes, "name") is not { } name || fields.Any(f => f.Item1 == name)) continue;
            var value = element switch
            {
                "select" => Option().Match(m.Groups[3].Value) is { Success: true } o ? WebUtility.HtmlDecode(o.Groups[1].Value) : "",
                "textarea" => WebUtility.HtmlDecode(m.Groups[3].Value),
                _ => Attribute(attributes, "value") ?? "",
            };
            fields.Add((name, value));
        }
        return fields;
    }

    /// <returns>null when the page of a form that posts no longer shows (what an earlier post did moved its record on)</returns>
    private static async Task<HttpResponseMessage?> SendAsync(HttpClient http, Form form, string? field, string value)
    {
        if (!form.Posts)
            return await http.GetAsync(form.Target + "?" + string.Join("&", form.Fields.Select(f =>
                $"{Uri.EscapeDataString(f.Name)}={Uri.EscapeDataString(f.Name == field ? value : f.Value)}")));
        using var page = await http.GetAsync(form.Page);
        if (page.StatusCode != HttpStatusCode.OK) return null;
        var token = TokenOf(await page.Content.ReadAsStringAsync());
        var values = form.Fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Name == field ? value : f.Name == Token ? token : f.Value));
        return await http.PostAsync(form.Target, new FormUrlEncodedContent(values));
    }

    /// <summary>The fields of the page's form that uploads a file (its token, its one-time key, its hidden and chosen values), the file input aside.</summary>
    internal static List<(string Name, string Value)> UploadFormFields(string page) =>
        FormElement().Matches(page).Where(f => f.Groups[1].Value.Contains("multipart/form-data")).Select(f => Fields(f.Groups[2].Value)).FirstOrDefault()
            ?.Where(f => f.Name != "file").ToList() ?? throw new InvalidOperationException("the page has no form that uploads a file");

    internal static string TokenOf(string page) =>
        Attribute(TokenInput().Match(page).Value, "value") ?? throw new InvalidOperationException("the page has no antiforgery token");

    private static string? Attribute(string attributes, string name) =>
        Regex.Match(attributes, $"\\b{name}=\"([^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("href=\"(/[^\"#]*)\"")] private static partial Regex Link();
    [GeneratedRegex("<form\\b([^>]*)>(.*?)</form>", RegexOptions.Singleline)] private static partial Regex FormElement();
    [GeneratedRegex("<(input|select|textarea|button)\\b([^>]*)>(?:(.*?)</\\1>)?", RegexOptions.Singleline)] private static partial Regex Field();
    [GeneratedRegex("<button\\b([^>]*)>")] private static partial Regex Button();
    [GeneratedRegex("<option\\b[^>]*value=\"([^\"]*)\"")] private static partial Regex Option();
    [GeneratedRegex("<input\\b[^>]*name=\"__RequestVerificationToken\"[^>]*>")] private static partial Regex TokenInput();
    [GeneratedRegex("\\d+")] private static partial Regex Digits();
}
