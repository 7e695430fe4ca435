using System.Security.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.Options;

namespace GrantLedger.Web.Access;

public static class AccessSetup
{
    public const string SmartScheme = "GrantLedger";

    /// <summary>
    /// Identity (hashed passwords, lockout), bearer tokens for the API, cookies for the web pages,
    /// and default deny: every endpoint needs a signed-in user unless it says otherwise.
    /// </summary>
    public static IServiceCollection AddGrantLedgerAccess(this IServiceCollection services)
    {
        services.AddIdentityCore<AppUser>(o =>
            {
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
                o.User.RequireUniqueEmail = false;
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789-._@";
            })
            .AddEntityFrameworkStores<GrantLedgerDb>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<ScopedClaimsFactory>();

        services.AddAuthentication(SmartScheme)
            .AddPolicyScheme(SmartScheme, "Bearer token or cookie", o =>
                o.ForwardDefaultSelector = http =>
                    http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || CookieMayNotWrite(http.Request)
                        ? ApiTokens.Scheme
                        : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokens.Scheme, null)
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.Cookie.Name = "grantledger";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true; // the idle minutes (CookieSessions.IdleMinutesSetting), renewed by every request
                o.LoginPath = "/sign-in";
                o.AccessDeniedPath = "/forbidden";
                // API callers get problems, not redirects to a sign-in page
                o.Events.OnRedirectToLogin = ctx => ApiOr(ctx, 401, "Unauthorized", "Sign in: send an API token as 'Authorization: Bearer glt_…'.");
                o.Events.OnRedirectToAccessDenied = ctx => ApiOr(ctx, 403, "Forbidden", "Your role does not allow this.");
                o.Events.OnValidatePrincipal = CookieSessions.ValidateAsync;
                o.Events.OnCheckSlidingExpiration = CookieSessions.CheckSlidingExpiration;
            });

        services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<IConfiguration>((o, configuration) => o.ExpireTimeSpan = CookieSessions.Idle(configuration));
        services.AddSingleton<ApiTokenCache>();
        services.AddSingleton<SignInFailures>();
        services.AddHostedService<AccessChangeListener>(); // registered after StartUp: the database endpoint is known by then
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }

    /// <summary>
    /// The pages' sign-in cookie reads the API (the export page polls its job, GET /api/v1/exports/{id}) but never writes
    /// through it: a write carries a token. Taken for a write, the cookie let an HTML form of any same-site page (text/plain,
    /// form-encoded and multipart are a form's to send) approve a claim as its lead or import lines as its school with no
    /// antiforgery token, which every page's form must carry; SameSite=Strict was all that stood in the way (found in a review
    /// of the pages). Such a request is answered as one with no token: 401.
    /// </summary>
    internal static bool CookieMayNotWrite(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);

    private static async Task ApiOr(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx,
        int status, string title, string detail)
    {
        if (!ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.Redirect(ctx.RedirectUri);
            return;
        }
        var problems = ctx.HttpContext.RequestServices.GetRequiredService<ProblemDetailsFactory>();
        // a 401 says how to authenticate (RFC 9110, 15.5.2), as the token scheme's own refusal does
        if (status == 401) ctx.Response.Headers.WWWAuthenticate = "Bearer";
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsJsonAsync(problems.CreateProblemDetails(ctx.HttpContext, status, title, detail: detail),
            (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}

/// <summary>Cookie sign-ins carry the same role and scope claims as bearer tokens.</summary>
public sealed class ScopedClaimsFactory(UserManager<AppUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaims(CurrentUser.ClaimsOf(user).Where(c => c.Type is not ClaimTypes.NameIdentifier and not ClaimTypes.Name));
        identity.AddClaim(CookieSessions.SignedInNow()); // a page session ends this long after, however busy (CookieSessions)
        return identity;
    }
}
