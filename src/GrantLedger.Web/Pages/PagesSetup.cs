using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Web.Pages;

/// <summary>
/// The web pages: Razor Pages in the same service, calling the same use cases as the API. Signed in
/// by cookie (same users, same lockout); every POST form carries an antiforgery token, which Razor
/// Pages checks.
/// </summary>
public static class PagesSetup
{
    public static IServiceCollection AddGrantLedgerPages(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.Conventions.AllowAnonymousToPage("/SignIn");
            o.Conventions.AllowAnonymousToPage("/Forbidden");
            o.Conventions.AllowAnonymousToPage("/Unavailable");
            o.Conventions.AllowAnonymousToPage("/Problem");
            o.Conventions.ConfigureFilter(new NoHandlerFilter());
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "grantledger-af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure over https (behind a proxy: GrantLedger:TrustedProxies)
            o.FormFieldName = "__RequestVerificationToken";
        });
        return services;
    }

    /// <summary>
    /// A request for a page rather than for the API, its description or the health checks: its errors are answered with
    /// a page a person can read (<see cref="ProblemModel"/>, <see cref="ForbiddenModel"/>, <see cref="UnavailableModel"/>),
    /// the API's with an RFC 9457 problem.
    /// </summary>
    public static bool IsPageRequest(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/swagger") && !request.Path.StartsWithSegments("/health");

    /// <summary>
    /// Status codes and faults, answered: a page request that ends in an error without a body of its own (an address
    /// that does not exist, a form the framework cannot read, a refusal or fault that <see cref="ProblemAnswers"/> left
    /// for the page) is run again as /problem/{status}, keeping its status code; any other gets an RFC 9457 problem.
    /// </summary>
    public static WebApplication UseErrorPages(this WebApplication app)
    {
        app.UseWhen(http => IsPageRequest(http.Request), pages => pages.UseStatusCodePagesWithReExecute("/problem/{0}"));
        app.UseExceptionHandler();
        app.UseWhen(http => !IsPageRequest(http.Request), api => api.UseStatusCodePages());
        return app;
    }

    /// <summary>GOV.UK Frontend's CSS, fonts and images: public, so served before authorization.</summary>
    public static WebApplication UseGrantLedgerStaticFiles(this WebApplication app)
    {
        app.UseStaticFiles();
        return app;
    }
}
