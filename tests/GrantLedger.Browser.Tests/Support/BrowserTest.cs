using System.Text.Json;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Support;

/// <summary>
/// Base for browser tests: a clean database, a fresh browser context per user, and the checks every
/// page gets (axe-core finds no WCAG 2.2 A/AA violation; a screenshot is kept).
/// </summary>
[Collection(BrowserCollection.Name)]
public abstract class BrowserTest(BrowserFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    protected BrowserFixture Fixture { get; } = fixture;
    protected DatabaseFixture Db => Fixture.Db;
    protected ITestOutputHelper Output { get; } = output;
    private readonly List<IBrowserContext> _contexts = [];

    public static readonly string Screenshots = Path.Combine(BrowserFixture.RepoRoot, "tests", "GrantLedger.Browser.Tests", "screenshots");
    private static readonly string Axe = Path.Combine(BrowserFixture.RepoRoot, "node_modules", "axe-core", "axe.min.js");

    public virtual Task InitializeAsync() => Db.ResetAsync();

    public async Task DisposeAsync()
    {
        foreach (var c in _contexts) await c.CloseAsync();
    }

    /// <summary>A new browser (its own cookies) signed in as the user, on their start page.</summary>
    /// <param name="baseUrl">a service of the test's own (other settings), else the fixture's</param>
    protected async Task<IPage> SignInAsync(string userName, string password = DatabaseFixture.Password, string? baseUrl = null)
    {
        var context = await Fixture.Browser.NewContextAsync(new() { BaseURL = baseUrl ?? Fixture.BaseUrl, ViewportSize = new() { Width = 1200, Height = 900 } });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        WatchCsp(page);
        await page.GotoAsync("/sign-in");
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button:has-text('Sign in')");
        await LoadedAsync(page);
        Assert.DoesNotContain("/sign-in", page.Url);
        return page;
    }

    protected async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        var context = await Fixture.Browser.NewContextAsync(new()
        {
            BaseURL = Fixture.BaseUrl, ViewportSize = new() { Width = 1200, Height = 900 }, JavaScriptEnabled = javaScript,
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        WatchCsp(page);
        return page;
    }

    private static readonly Lazy<string> AxeSource = new(() => File.ReadAllText(Axe) + "\n;true");

    /// <summary>The page's Content-Security-Policy violations, as the browser reported them on its console.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> CspViolations = new();

    private static void WatchCsp(IPage page)
    {
        var seen = CspViolations.GetOrCreateValue(page);
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) lock (seen) seen.Add(m.Text); };
    }

    /// <summary>Goes to a page and checks it (status, accessibility).</summary>
    protected async Task<IResponse> VisitAsync(IPage page, string path, int status = 200, string? screenshot = null)
    {
        var response = await page.GotoAsync(path) ?? throw new InvalidOperationException("no response for " + path);
        Assert.True(response.Status == status, $"{path}: expected {status}, got {response.Status}\n{await page.InnerTextAsync("body")}\n{ServerErrors.Recent()}");
        await CheckAsync(page, screenshot);
        return response;
    }

    /// <summary>axe-core on the page as it is now: no WCAG 2.0/2.1/2.2 A or AA violations. Saves a screenshot when named.</summary>
    protected async Task CheckAsync(IPage page, string? screenshot = null)
    {
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        Assert.DoesNotContain("An unhandled exception", await page.ContentAsync());
        if (await page.Locator("title").CountAsync() == 0)
            Assert.Fail($"{page.Url} is not one of the service's pages: {await page.InnerTextAsync("body")}\n{ServerErrors.Recent()}");
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
            await page.EvaluateAsync(AxeSource.Value); // evaluated by the test, not a script tag: the pages' CSP allows no inline script
        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
              return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) }));
            }
            """);
        if (CspViolations.TryGetValue(page, out var csp))
            lock (csp) Assert.True(csp.Count == 0, $"the Content-Security-Policy refused something on {page.Url}:\n{string.Join("\n", csp)}");
        var violations = result.EnumerateArray().Select(v => v.ToString()).ToList();
        Assert.True(violations.Count == 0, $"axe-core found WCAG violations on {page.Url}:\n{string.Join("\n", violations)}");
        if (screenshot is not null)
        {
            Directory.CreateDirectory(Screenshots);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, screenshot + ".png"), FullPage = true });
        }
    }

    /// <summary>Clicks and checks the page it lands on.</summary>
    protected async Task ClickAsync(IPage page, string selector, string? screenshot = null)
    {
        await page.ClickAsync(selector);
        await LoadedAsync(page);
        await CheckAsync(page, screenshot);
    }

    /// <summary>
    /// Waits until the page's document has loaded (its load event, so that styles are in place for axe-core's contrast
    /// checks). In one of seventeen CI runs on 1 December the wait for the load of the page a form's POST-redirect-GET
    /// led to ran out at 30 s while Playwright's log had the network idle; why was not found. So after 10 s the document
    /// itself is asked, and one that says it is complete is taken as loaded. A page still loading at 30 s fails as before.
    /// </summary>
    protected static async Task LoadedAsync(IPage page)
    {
        try
        {
            await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            if (await page.EvaluateAsync<string>("() => document.readyState") == "complete") return;
            await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = 20_000 });
        }
    }

    /// <summary>The error summary is shown, focused content links to each field's inline error.</summary>
    protected static async Task ExpectErrorAsync(IPage page, string field, string? text = null)
    {
        var summary = page.Locator(".govuk-error-summary");
        Assert.True(await summary.IsVisibleAsync(), "expected the error summary on " + page.Url);
        var link = summary.Locator($"a[href='#{field}']");
        Assert.True(await link.CountAsync() > 0, $"expected the error summary to link to #{field}: {await summary.InnerTextAsync()}");
        if (text is not null) Assert.Contains(text, await link.First.InnerTextAsync());
        Assert.True(await page.Locator($"#{field}-error").CountAsync() > 0 || await page.Locator($".govuk-form-group--error #{field}").CountAsync() > 0,
            $"expected an inline error at #{field}");
        Assert.StartsWith("Error:", await page.TitleAsync());
    }

    /// <summary>The page is where the journey should be; otherwise says what the page showed (its error summary, say).</summary>
    protected static async Task AtAsync(IPage page, string pathPattern)
    {
        if (System.Text.RegularExpressions.Regex.IsMatch(new Uri(page.Url).PathAndQuery, pathPattern)) return;
        var summary = await page.Locator(".govuk-error-summary").CountAsync() > 0 ? await page.InnerTextAsync(".govuk-error-summary") : "";
        Assert.Fail($"expected to be at {pathPattern} but at {page.Url}: {summary}\n{ServerErrors.Recent()}");
    }

    protected static async Task FillDateAsync(IPage page, string field, DateOnly date)
    {
        await page.FillAsync($"#{field}", date.Day.ToString());
        await page.FillAsync($"#{field}-month", date.Month.ToString());
        await page.FillAsync($"#{field}-year", date.Year.ToString());
    }

    // ---- the keyboard alone ----

    /// <summary>A new browser signed in by typing into the sign-in form and pressing Enter.</summary>
    protected async Task<IPage> KeyboardSignInAsync(string userName)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/sign-in");
        await KeyTypeAsync(page, "#userName", userName);
        await KeyTypeAsync(page, "#password", DatabaseFixture.Password);
        await PressAndWaitAsync(page);
        Assert.DoesNotContain("/sign-in", page.Url);
        await CheckAsync(page);
        return page;
    }

    /// <summary>Tabs to the page's (first) submit button in main and presses Enter.</summary>
    protected static Task KeySubmitAsync(IPage page) => KeyPressOnAsync(page, "main button[type=submit]");

    /// <summary>A POST to a page with a valid antiforgery token of this user (read from the sign-out form every page carries).</summary>
    protected static async Task<int> PostAsUserAsync(IPage page, string path, Dictionary<string, string>? fields = null)
    {
        var token = await page.GetAttributeAsync("input[name=__RequestVerificationToken]", "value") ?? "";
        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token);
        foreach (var (k, v) in fields ?? []) form.Set(k, v);
        var response = await page.APIRequest.PostAsync(path, new() { Form = form });
        return response.Status;
    }

    /// <summary>Presses Tab until the element matching the selector has focus (as someone without a mouse would).</summary>
    protected static async Task TabToAsync(IPage page, string selector, int max = 120)
    {
        for (var i = 0; i < max; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement && document.activeElement.matches(s)", selector)) return;
        }
        throw new InvalidOperationException($"Tab never reached {selector} on {page.Url}");
    }

    protected static async Task KeyTypeAsync(IPage page, string selector, string text)
    {
        await TabToAsync(page, selector);
        await page.Keyboard.TypeAsync(text);
    }

    /// <summary>Tabs to a link or button and presses Enter, waiting for the page it leads to.</summary>
    protected static async Task KeyPressOnAsync(IPage page, string selector, string key = "Enter")
    {
        await TabToAsync(page, selector);
        await PressAndWaitAsync(page, key);
    }

    protected static async Task PressAndWaitAsync(IPage page, string key = "Enter")
    {
#pragma warning disable CS0612, CS0618 // the navigation a key press starts: nothing else tells when it has finished
        await page.RunAndWaitForNavigationAsync(() => page.Keyboard.PressAsync(key));
#pragma warning restore CS0612, CS0618
        await LoadedAsync(page);
    }

    /// <summary>Chooses an option of a select with arrow keys until its value is the one wanted.</summary>
    protected static async Task KeySelectAsync(IPage page, string selector, string value)
    {
        await TabToAsync(page, selector);
        for (var i = 0; i < 40 && await page.EvalOnSelectorAsync<string>(selector, "e => e.value") != value; i++)
            await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal(value, await page.EvalOnSelectorAsync<string>(selector, "e => e.value"));
    }
}
