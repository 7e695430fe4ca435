using GrantLedger.Web.Access;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Infrastructure;

/// <summary>JSON under /api/v1; refusals are problems (see <see cref="ProblemAnswers"/>).</summary>
[ApiController]
[Route("api/v1")]
[ProducesResponseType(typeof(ProblemDetails), 400)]
[ProducesResponseType(typeof(ProblemDetails), 401)]
[ProducesResponseType(typeof(ProblemDetails), 403)]
public abstract class ApiControllerBase : ControllerBase
{
    protected CurrentUser Caller => CurrentUser.From(User);

    /// <summary>The version the caller read (an ETag sent back as If-Match), or null when they sent none.</summary>
    protected string? IfMatch => Request.Headers.IfMatch.ToString() is { Length: > 0 } v ? v : null;
}
