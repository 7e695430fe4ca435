using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace GrantLedger.Web.Pages;

/// <summary>
/// A form sent to a page that has no handler for it is refused before the page renders: Razor Pages would otherwise
/// render it without running any handler, so with none of the page's reads done (a 500). A page that takes forms by
/// that method, only not this one (a POST with no <c>?handler=</c>, or a name it does not know), answers 400; a page
/// that takes none by that method, 405 with the methods it does take. The error pages say the form could not be read;
/// the error page itself, re-executed for a refused form with the form's method, is left alone.
/// </summary>
public sealed class NoHandlerFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var method = context.HttpContext.Request.Method;
        if (context.HandlerMethod is not null || HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || context.HandlerInstance is ProblemModel)
            return next();
        var methods = context.ActionDescriptor.HandlerMethods.Select(h => h.HttpMethod.ToUpperInvariant()).ToHashSet();
        if (methods.Contains(method.ToUpperInvariant()))
        {
            context.Result = new StatusCodeResult(StatusCodes.Status400BadRequest);
            return Task.CompletedTask;
        }
        context.HttpContext.Response.Headers.Allow = string.Join(", ", new[] { "GET", "HEAD" }.Union(methods.Order()));
        context.Result = new StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
        return Task.CompletedTask;
    }
}
