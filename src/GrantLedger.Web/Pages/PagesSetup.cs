using GrantLedger.Core.Rules;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

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
            o.Conventions.ConfigureFilter(new RefusalsAsPages());
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "grantledger-af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__RequestVerificationToken";
        });
        return services;
    }

    /// <summary>GOV.UK Frontend's CSS, fonts and images: public, so served before authorization.</summary>
    public static WebApplication UseGrantLedgerStaticFiles(this WebApplication app)
    {
        app.UseStaticFiles();
        return app;
    }
}

/// <summary>A use case refusing the caller (403) or not finding the record (404) answers with a page, not JSON.</summary>
public sealed class RefusalsAsPages : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        switch (executed.Exception)
        {
            case Forbidden:
                executed.Result = new RedirectResult("/forbidden");
                executed.ExceptionHandled = true;
                break;
            case NotFound:
                executed.Result = new RedirectResult("/forbidden?missing=1");
                executed.ExceptionHandled = true;
                break;
            case { } e when ProblemAnswers.IsDatabaseUnavailable(e):
                // a page, not a problem document: the person is told, as the API's 503 tells a client, whether anything changed
                ProblemAnswers.ForgetDeadConnections(context.HttpContext);
                executed.Result = new RedirectResult(ProblemAnswers.IsRead(context.HttpContext.Request) ? "/unavailable" : "/unavailable?change=1");
                executed.ExceptionHandled = true;
                break;
        }
    }
}
