using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using System.Text;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Security;

public sealed class SecurityTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Theory]
    [InlineData("/api/v1/programmes")]   // 401 without a token
    [InlineData("/health/live")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task EveryAnswer_CarriesTheSecurityHeaders(string path)
    {
        using var response = await Db.Factory.CreateClient().GetAsync(path);
        var h = response.Headers;
        Assert.Equal("nosniff", h.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", h.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", h.GetValues("Referrer-Policy").Single());
        var csp = h.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.False(h.Contains("Server"));
        Assert.True(h.CacheControl?.NoStore);
    }

    /// <summary>
    /// An address or headers longer than the service takes are refused with a problem naming what is too long and the limit,
    /// as every other refusal is, before anything else (so a caller without a token is told too); a page, with its page.
    /// Past Kestrel's own, higher, limits Kestrel still refuses the request unread (a bare 414 or 431): what a connection
    /// makes the server hold stays bounded. Kestrel answered a bare 414 from 8 KB and a bare 431 from 32 KB.
    /// </summary>
    [Fact]
    public async Task AnAddressOrHeadersTooLong_AreRefusedWithAProblemNamingTheLimit_AndKestrelStillBoundsThem()
    {
        using var factory = Db.Factory.WithWebHostBuilder(_ => { });
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0)); // a real socket: TestServer has no request line to limit
        factory.StartServer();
        using var http = new HttpClient { BaseAddress = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        static string Address(int length) { const string start = "/api/v1/programmes?name="; return start + new string('a', length - start.Length); }
        async Task<(HttpStatusCode Status, string? Type, string Body)> GetAsync(string address, string? header = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            if (header is not null) request.Headers.TryAddWithoutValidation("X-Note", header);
            using var answer = await http.SendAsync(request);
            return (answer.StatusCode, answer.Content.Headers.ContentType?.MediaType, await answer.Content.ReadAsStringAsync());
        }
        static System.Text.Json.Nodes.JsonNode Problem((HttpStatusCode Status, string? Type, string Body) answer, HttpStatusCode status, string rule)
        {
            Assert.Equal((status, "application/problem+json"), (answer.Status, answer.Type));
            var problem = System.Text.Json.Nodes.JsonNode.Parse(answer.Body)!;
            Assert.Equal((int)status, problem["status"]!.GetValue<int>());
            Assert.Equal($"https://grantledger.example/rules/{rule}", problem["type"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
            return problem;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(Address(8192))).Status); // at the limit: as any other request
        var longAddress = Problem(await GetAsync(Address(8193)), HttpStatusCode.RequestUriTooLong, "address-too-long");
        Assert.Equal("The address is 8,193 characters long; the service takes at most 8,192 (its path and query together).",
            longAddress["detail"]!.GetValue<string>());
        Problem(await GetAsync(Address(30_000)), HttpStatusCode.RequestUriTooLong, "address-too-long");
        var page = await GetAsync("/school/claims?note=" + new string('a', 9_000));
        Assert.Equal((HttpStatusCode.RequestUriTooLong, "text/html"), (page.Status, page.Type));
        Assert.Contains("web address", page.Body);
        var unread = await GetAsync(Address(40_000));
        Assert.Equal((HttpStatusCode.RequestUriTooLong, ""), (unread.Status, unread.Body));

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/v1/programmes", new string('a', 20_000))).Status);
        var headers = Problem(await GetAsync("/api/v1/programmes", new string('a', 40_000)), HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
        Assert.Matches(@"^The request's headers come to [\d,]+ bytes; the service takes at most 32,768\. The largest is X-Note, of 40,000\.$",
            headers["detail"]!.GetValue<string>());
        var unreadHeaders = await GetAsync("/api/v1/programmes", new string('a', 70_000));
        Assert.Equal((HttpStatusCode.RequestHeaderFieldsTooLarge, ""), (unreadHeaders.Status, unreadHeaders.Body));
    }

    [Fact]
    public async Task ABodyLargerThanTheEndpointTakes_Is413_AndWritesNothing()
    {
        var admin = await Db.UserAsync("big-admin", Roles.ProgrammeAdmin);
        var name = new string('x', 1_100_000);
        var answer = await admin.PostAsync("/api/v1/programmes", new { code = "big", name, funder = "f" });
        var problem = answer.ExpectProblem(HttpStatusCode.RequestEntityTooLarge, rule: "request-too-large").Json;
        Assert.Contains("at most 1,000,000", problem["detail"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme"));
    }

    [Fact]
    public async Task SignIn_IsRateLimitedPerAddress_WithA429ProblemAndRetryAfter()
    {
        await Db.UserAsync("limited", Roles.Auditor);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting("GrantLedger:SignInsPerMinute", "3"));
        using var http = factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited", password = "wrong" }));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited", password = DatabaseFixture.Password }));
        var answer = await Answer.ReadAsync(limited);
        answer.ExpectProblem(HttpStatusCode.TooManyRequests, rule: "rate-limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
        // The refused attempt issued nothing.
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE u.user_name = 'limited'"));
    }

    /// <summary>
    /// Many schools reach the service from one address (a local authority's network, a schools' broadband consortium's):
    /// their sign-ins that succeed do not count against it, however many; failed sign-ins do, by the API and the page
    /// together, and once there are too many every sign-in from the address is refused until the minute is over, with
    /// a correct password too, and nothing is issued.
    /// </summary>
    [Fact]
    public async Task ManySignInsFromOneAddress_AreLimitedOnlyByTheirFailures()
    {
        for (var i = 0; i < 3; i++) await Db.UserAsync($"shared-net-{i}", Roles.Auditor);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting("GrantLedger:FailedSignInsPerMinute", "3"));
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Task<HttpResponseMessage> TokenAsync(string user, string password) =>
            http.PostAsync("/api/v1/auth/token", Body(new { userName = user, password }));

        for (var i = 0; i < 12; i++)
        {
            using var signedIn = await TokenAsync($"shared-net-{i % 3}", DatabaseFixture.Password);
            Assert.Equal(HttpStatusCode.Created, signedIn.StatusCode);
        }
        using (var page = await PageFormFuzzTests.PostSignInAsync(http, "shared-net-0", DatabaseFixture.Password))
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);

        using (var wrong = await TokenAsync("shared-net-1", "wrong")) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var unknown = await TokenAsync("no-such-user", "wrong")) Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using (var wrongPage = await PageFormFuzzTests.PostSignInAsync(http, "shared-net-2", "wrong"))
            Assert.Contains("The user name or password is not right", await wrongPage.Content.ReadAsStringAsync());

        using var limited = await TokenAsync("shared-net-0", DatabaseFixture.Password);
        var problem = (await Answer.ReadAsync(limited)).ExpectProblem(HttpStatusCode.TooManyRequests, rule: "rate-limited").Json;
        var retry = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retry, 1, 60);
        Assert.Equal(retry, problem["retryAfter"]!.GetValue<int>());
        using var limitedPage = await PageFormFuzzTests.PostSignInAsync(http, "shared-net-0", DatabaseFixture.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedPage.StatusCode);
        Assert.Contains("Too many sign-in attempts", await limitedPage.Content.ReadAsStringAsync());
        Assert.Contains("Retry-After", limitedPage.Headers.Select(h => h.Key));

        // twelve tokens (beside the three the test's set-up issued), no more; one page sign-in; the three failures recorded,
        // the refused attempts not at all
        Assert.Equal(15, await Db.ScalarAsync("SELECT count(*) FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE u.user_name LIKE 'shared-net-%'"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.succeeded' AND details->>'via' = 'web'"));
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.failed'"));
    }

    /// <summary>
    /// Deployed behind a reverse proxy (GrantLedger:TrustedProxies), the service sees each client by the address the proxy
    /// forwards: the sign-in limit counts per client, not for everyone behind the proxy at once, and the audit trail records
    /// the client; the proxy's https makes the cookies Secure. Without the setting the same headers are not believed (a
    /// client cannot pick its own address to escape the limit).
    /// </summary>
    [Fact]
    public async Task BehindATrustedProxy_TheForwardedClientCountsForTheLimitAndTheAudit_AndHttpsMakesCookiesSecure()
    {
        await Db.UserAsync("proxied", Roles.Auditor);
        async Task<List<HttpStatusCode>> AttemptsAsync(string? trusted, params string[] clients)
        {
            using var factory = Db.Factory.WithWebHostBuilder(b =>
            {
                b.UseSetting("GrantLedger:SignInsPerMinute", "2");
                if (trusted is not null) b.UseSetting("GrantLedger:TrustedProxies", trusted);
            });
            factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0)); // a real socket: the proxy's connection comes from 127.0.0.1
            factory.StartServer();
            var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var answers = new List<HttpStatusCode>();
            foreach (var client in clients)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token") { Content = Body(new { userName = "proxied", password = "wrong" }) };
                request.Headers.Add("X-Forwarded-For", client);
                using var answer = await http.SendAsync(request);
                answers.Add(answer.StatusCode);
            }
            using var signIn = new HttpRequestMessage(HttpMethod.Get, "/sign-in");
            signIn.Headers.Add("X-Forwarded-Proto", "https");
            using var page = await http.SendAsync(signIn);
            var secure = page.Headers.GetValues("Set-Cookie").All(c => c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(trusted is not null, secure);
            return answers;
        }

        const HttpStatusCode refused = HttpStatusCode.Unauthorized, limited = HttpStatusCode.TooManyRequests;
        Assert.Equal([refused, refused, limited, refused, refused],
            await AttemptsAsync("127.0.0.1, 10.9.0.0/16", "203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.3"));
        Assert.Equal("203.0.113.1,203.0.113.1,203.0.113.2,203.0.113.3",
            await Db.TextAsync("SELECT string_agg(client_address, ',' ORDER BY id) FROM audit_event WHERE action = 'sign-in.failed'"));
        // not believed without the setting: every attempt is 127.0.0.1's
        Assert.Equal([refused, refused, limited], await AttemptsAsync(null, "203.0.113.4", "203.0.113.5", "203.0.113.6"));
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.failed' AND client_address = '127.0.0.1'"));
    }

    /// <summary>
    /// The sign-in page's form takes a password as the token endpoint does: its attempts count against the same limit per
    /// address, and the person is told on a page, not in JSON. Showing the page is not an attempt.
    /// </summary>
    [Fact]
    public async Task SignInPage_SharesTheAddressLimitWithTheTokenEndpoint_AndAnswers429WithAPage()
    {
        await Db.UserAsync("limited-page", Roles.Auditor);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting("GrantLedger:SignInsPerMinute", "3"));
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await PageFormFuzzTests.PostSignInAsync(http, "limited-page", "wrong"); // reads the page first, each time
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("The user name or password is not right", await wrong.Content.ReadAsStringAsync());
        }
        using (var wrong = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited-page", password = "wrong" })))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var limited = await PageFormFuzzTests.PostSignInAsync(http, "limited-page", DatabaseFixture.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("text/html", limited.Content.Headers.ContentType?.MediaType);
        var page = await limited.Content.ReadAsStringAsync();
        Assert.Contains("Too many sign-in attempts", page);
        var retry = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.Contains($"Wait {retry} seconds", page);
        Assert.False(limited.Headers.Contains("Set-Cookie") && limited.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith(".AspNetCore.Identity", StringComparison.Ordinal)));
        using var token = await http.PostAsync("/api/v1/auth/token", Body(new { userName = "limited-page", password = DatabaseFixture.Password }));
        (await Answer.ReadAsync(token)).ExpectProblem(HttpStatusCode.TooManyRequests, rule: "rate-limited");
        // the refused attempts signed nobody in; the three allowed were recorded as failures
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.succeeded' AND details->>'via' = 'web'"));
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.failed' AND details->>'userName' = 'limited-page'"));
    }

    /// <summary>
    /// An error on a page is a page a person can read, with the status code a program would get; the API's are RFC 9457
    /// problems. An address that does not exist, a query or a form the service cannot store (NUL), a record that does
    /// not exist, and a file larger than its page takes; none of them writes anything.
    /// </summary>
    [Fact]
    public async Task ErrorsOnPages_AreReadablePagesWithTheirStatus_AndOnTheApiProblems()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var http = Db.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await PageFormFuzzTests.SignInAsync(http, w.School.UserName);
        var before = await Written.FingerprintAsync(Db);

        await ExpectPageAsync(await http.GetAsync("/school/no-such-page"), HttpStatusCode.NotFound, "Page not found");
        await ExpectPageAsync(await http.GetAsync("/school/claims?state=a%00b"), HttpStatusCode.BadRequest, "There is a problem with what was sent");
        await ExpectPageAsync(await PageFormFuzzTests.PostSignInAsync(http, "a\0b", "x"), HttpStatusCode.BadRequest, "There is a problem with what was sent");
        using (var missing = await http.GetAsync("/school/claims/999999999"))
        {
            Assert.Equal(HttpStatusCode.Redirect, missing.StatusCode);
            Assert.Equal("/forbidden?missing=1", missing.Headers.Location?.OriginalString);
        }
        await ExpectPageAsync(await http.GetAsync("/forbidden?missing=1"), HttpStatusCode.NotFound, "Page not found");
        await ExpectPageAsync(await http.GetAsync("/problem/500"), HttpStatusCode.NotFound, "Page not found"); // only an error's page
        Assert.Equal(before, await Written.FingerprintAsync(Db));
        var draft = await w.NewClaimAsync();
        before = await Written.FingerprintAsync(Db);
        using (var tooLarge = new MultipartFormDataContent { { new ByteArrayContent(new byte[12_000_000]), "file", "scan.pdf" } })
            await ExpectPageAsync(await http.PostAsync($"/school/claims/{draft}/evidence", tooLarge), HttpStatusCode.RequestEntityTooLarge,
                "What you sent is too large");

        (await w.School.GetAsync("/api/v1/no-such-thing")).ExpectProblem(HttpStatusCode.NotFound);
        (await w.School.GetAsync("/api/v1/claims?state=a%00b")).ExpectProblem(HttpStatusCode.BadRequest);
        Assert.Equal(before, await Written.FingerprintAsync(Db));
    }

    /// <summary>
    /// A fault in the service (here one a test filter throws inside MVC, where a page's or an action's own bug would be):
    /// on a page, the error page with 500, and the fault logged as an error; on the API, a 500 problem.
    /// </summary>
    [Fact]
    public async Task AFaultOnAPage_IsTheErrorPageWith500_AndLogged_OnTheApiA500Problem()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            services.Configure<MvcOptions>(o => o.Filters.Add(new FaultWhenAsked()))));
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await PageFormFuzzTests.SignInAsync(http, w.School.UserName);
        var logged = ServerErrors.Logged;
        await ExpectPageAsync(await http.GetAsync("/school?fault=1"), HttpStatusCode.InternalServerError, "Sorry, there is a problem with the service");
        Assert.True(ServerErrors.Logged > logged, "the page's fault was not logged as an error");
        Assert.Contains(FaultWhenAsked.Message, ServerErrors.Recent());

        using var api = factory.CreateClient();
        api.DefaultRequestHeaders.Authorization = w.School.Http.DefaultRequestHeaders.Authorization;
        using var response = await api.GetAsync("/api/v1/claims?fault=1");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private sealed class FaultWhenAsked : IResourceFilter, IOrderedFilter
    {
        public const string Message = "a fault the test asked for";

        /// <summary>First of the resource filters: before the API refuses ?fault=1 as a query parameter its operation does not take.</summary>
        public int Order => int.MinValue;
        public void OnResourceExecuting(ResourceExecutingContext context)
        {
            if (context.HttpContext.Request.Query.ContainsKey("fault")) throw new InvalidOperationException(Message);
        }

        public void OnResourceExecuted(ResourceExecutedContext context) { }
    }

    private static async Task ExpectPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        using (response)
        {
            var page = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {page[..Math.Min(page.Length, 300)]}");
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Matches($"<h1 class=\"govuk-heading-l\">{heading}</h1>", page);
            Assert.Contains("govuk-template", page); // the service's layout, with its way back
        }
    }

    private static StringContent Body(object value) =>
        new(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
