using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace GrantLedger.Web.Pages;

/// <summary>
/// Where a page lands when the database cannot be reached or stops answering (<see cref="ProblemAnswers"/> sends it here): answered
/// 503 with Retry-After, as the API answers. A change may have been saved before the database stopped answering, so the
/// page says so when the request was one.
/// </summary>
public sealed class UnavailableModel : PageModel
{
    /// <summary>The request that failed was a change (a form sent), not a read.</summary>
    public bool Change { get; private set; }

    public void OnGet(int? change)
    {
        Change = change == 1;
        Response.StatusCode = 503;
        Response.Headers.RetryAfter = ProblemAnswers.RetryAfterUnavailable;
    }
}
