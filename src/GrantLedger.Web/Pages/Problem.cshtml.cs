using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace GrantLedger.Web.Pages;

/// <summary>
/// What a person sees when a page request ends in an error with no page of its own: an address that does not exist
/// (404), a form or address the service cannot read (400, 405, 413, 415), too many sign-in attempts (429), or a fault
/// in the service (500). The API answers the same with an RFC 9457 problem; a browser gets this page, with the same
/// status code (<see cref="PagesSetup.UseErrorPages"/> re-executes the request here).
/// </summary>
[IgnoreAntiforgeryToken] // the re-executed request keeps its method: a refused form arrives here as a POST
public sealed class ProblemModel : PageModel
{
    public int Status { get; private set; }

    /// <summary>Seconds the service asks to be left before the next attempt (429), when it said.</summary>
    public string? RetryAfter { get; private set; }

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        // only as the error page of a request that ended in one; an address typed as /problem/500 is not found
        Status = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null && RouteData.Values["status"] is string s
                 && int.TryParse(s, out var status) && status is >= 400 and <= 599 ? status : 404;
        Response.StatusCode = Status;
        RetryAfter = Response.Headers.RetryAfter.FirstOrDefault();
    }

    public (string Title, string[] Paragraphs) Text => Status switch
    {
        404 => ("Page not found", [
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ]),
        413 => ("What you sent is too large", [
            "The file or form is larger than this page takes. Nothing has been changed.",
            "Go back and choose a smaller file: the page says how large a file can be.",
        ]),
        429 => ("Too many sign-in attempts", [
            $"Too many sign-in attempts have come from this address. Wait {(RetryAfter is { } s ? $"{s} seconds" : "a minute")}, then try again.",
        ]),
        >= 500 => ("Sorry, there is a problem with the service", [
            "Try again later.",
            "If you sent a form, check whether it was saved before you send it again.",
        ]),
        _ => ("There is a problem with what was sent", [
            "The service could not read the form or the web address it was sent. Nothing has been changed.",
            "Go back, check what you entered and try again.",
        ]),
    };
}
