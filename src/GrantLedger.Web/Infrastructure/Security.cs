using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using GrantLedger.Web.Pages;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// What every answer carries and what every request may be: security headers, a request size
/// limit (endpoints that take files raise their own), and rate limits on the endpoints that take
/// a password or issue a token, answered as RFC 9457 problems with Retry-After.
/// </summary>
public static class Security
{
    /// <summary>The rate-limit policy of sign-in and token issue: per client address.</summary>
    public const string SignInPolicy = "sign-in";

    /// <summary>JSON bodies are small; file uploads and imports say their own limits with [RequestSizeLimit].</summary>
    public const long DefaultMaxRequestBytes = 1_000_000;

    /// <summary>The longest address (path and query, as sent) the service takes; a longer one is refused 414 with a problem.</summary>
    public const int MaxAddressLength = 8 * 1024;

    /// <summary>The most a request's headers may come to (each name, value and separators, as sent); more is refused 431 with a problem.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>
    /// Kestrel's own limits, above the service's so that it is the service that answers what a client is likely to send, with a
    /// problem. Past them Kestrel refuses the request unread, with a bare 414 or 431 (it has no way to give a body): they bound
    /// what a connection makes the server hold.
    /// </summary>
    private const int KestrelRequestLineBytes = 32 * 1024, KestrelHeaderBytes = 64 * 1024;

    private const string ApiPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // Swagger UI (the third-party page at /swagger) sets its configuration with inline script and styles.
    private const string SwaggerPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddGrantLedgerSecurity(this IServiceCollection services)
    {
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<GrantLedgerOptions>((k, options) =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.Limits.MaxRequestLineSize = KestrelRequestLineBytes;
            k.Limits.MaxRequestHeadersTotalSize = KestrelHeaderBytes;
            k.AddServerHeader = false;
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // per address, shared by the API's token requests and the sign-in page's form; showing the page is not an attempt
            o.AddPolicy(SignInPolicy, http => ProblemAnswers.IsRead(http.Request) ? RateLimitPartition.GetNoLimiter("read") : RateLimitPartition.GetFixedWindowLimiter(
                ClientAddress(http),
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<GrantLedgerOptions>().SignInsPerMinute,
                    Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
                }));
            o.OnRejected = (context, ct) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : 60;
                context.HttpContext.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(WriteProblemAsync(context.HttpContext, 429, "Too many requests", "rate-limited",
                    $"Too many sign-in attempts from this address: try again in {retry} seconds.", ct));
            };
        });
        return services;
    }

    /// <summary>
    /// Believes the forwarded client address and scheme from the configured reverse proxies only (GrantLedger:TrustedProxies),
    /// hop by hop from the nearest, stopping at the first address that is not one of them. First in the pipeline, so that
    /// the rate limits, the audit trail and the cookies see the client, not the proxy.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        var configured = app.ApplicationServices.GetRequiredService<GrantLedgerOptions>().TrustedProxies
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (configured.Length == 0) return app;
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = null };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in configured)
            if (System.Net.IPNetwork.TryParse(proxy, out var network) && proxy.Contains('/')) options.KnownIPNetworks.Add(network);
            else if (System.Net.IPAddress.TryParse(proxy, out var address)) options.KnownProxies.Add(address);
            else throw new InvalidOperationException($"GrantLedger:TrustedProxies: '{proxy}' is neither an address nor a network such as 10.1.0.0/16");
        return app.UseForwardedHeaders(options);
    }

    public static IApplicationBuilder UseGrantLedgerSecurity(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            http.Response.OnStarting(() =>
            {
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers.ContentSecurityPolicy = IsSwaggerUi(http) ? SwaggerPolicy : ApiPolicy;
                // Ledger data is not for shared caches or the browser's history.
                if (!headers.ContainsKey("Cache-Control") && !IsStaticAsset(http)) headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });

            // The error page a refused page request is run again as (PagesSetup.UseErrorPages) is not refused again.
            if (http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is not null) return next(http);

            if (TooLong(http) is { } tooLong) return tooLong;

            // A body larger than the endpoint allows is refused before it is read.
            var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize
                        ?? http.RequestServices.GetRequiredService<GrantLedgerOptions>().MaxRequestBytes;
            if (limit is { } max && http.Request.ContentLength > max)
                return WriteProblemAsync(http, 413, "Request too large", "request-too-large",
                    $"The request body is {Gov.Number(http.Request.ContentLength ?? 0)} bytes; this endpoint takes at most {Gov.Number(max)}.", http.RequestAborted);

            // PostgreSQL's text holds no NUL character: a query parameter with one is refused here, naming it, as a JSON
            // body's text is (StoredTextJsonConverter), rather than failing on its way into a statement. (A form whose
            // fields hold one is answered 400 before any page sees it: PageFormFuzzTests sends NUL in every field.)
            foreach (var (key, values) in http.Request.Query)
                if (key.Contains('\0') || values.Any(v => v?.Contains('\0') == true))
                {
                    var problem = http.RequestServices.GetRequiredService<ProblemAnswers>().Validation(http, 400,
                        new Dictionary<string, string[]> { [key.Replace("\0", "\\u0000")] = [StoredTextJsonConverter.NoNul] }, "The request's query is not valid.");
                    return ProblemAnswers.AnswerAsync(http, problem, http.RequestAborted);
                }
            return next(http);
        }).UseRateLimiter();

    /// <summary>An address or headers longer than the service takes, refused with a problem saying which and the limit; else null.</summary>
    private static Task? TooLong(HttpContext http)
    {
        var address = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw : (http.Request.PathBase + http.Request.Path + http.Request.QueryString).ToString();
        if (address.Length > MaxAddressLength)
            return WriteProblemAsync(http, 414, "Address too long", "address-too-long",
                $"The address is {Gov.Number(address.Length)} characters long; the service takes at most {Gov.Number(MaxAddressLength)} (its path and query together).",
                http.RequestAborted);
        var (total, largest, largestLength) = (0, "", -1);
        foreach (var (name, values) in http.Request.Headers)
            foreach (var value in values)
            {
                var length = value?.Length ?? 0;
                total += name.Length + length + 4; // "name: value\r\n"
                if (length > largestLength) (largest, largestLength) = (name, length);
            }
        return total <= MaxHeaderBytes ? null : WriteProblemAsync(http, 431, "Headers too large", "headers-too-large",
            $"The request's headers come to {Gov.Number(total)} bytes; the service takes at most {Gov.Number(MaxHeaderBytes)}. The largest is {largest}, of {Gov.Number(largestLength)}.",
            http.RequestAborted);
    }

    /// <summary>The client's address, as the limits on sign-in count it (the forwarded one behind a trusted proxy: <see cref="UseTrustedProxies"/>).</summary>
    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static Task WriteProblemAsync(HttpContext http, int status, string title, string rule, string detail, CancellationToken ct)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Type = $"https://grantledger.example/rules/{rule}", Detail = detail };
        problem.Extensions["rule"] = rule;
        return ProblemAnswers.AnswerAsync(http, problem, ct);
    }

    private static bool IsSwaggerUi(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/swagger") && !http.Request.Path.Value!.EndsWith(".json", StringComparison.Ordinal);

    private static bool IsStaticAsset(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/assets") || http.Request.Path.StartsWithSegments("/govuk") || http.Request.Path.StartsWithSegments("/js")
        || http.Request.Path.StartsWithSegments("/site.css");
}
