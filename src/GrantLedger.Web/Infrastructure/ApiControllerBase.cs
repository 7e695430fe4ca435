using GrantLedger.Web.Access;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Infrastructure;

/// <summary>JSON under /api/v1; refusals are problems (see <see cref="ProblemAnswers"/>).</summary>
[ApiController]
[Route("api/v1")]
[ProducesResponseType(typeof(ProblemDetails), 400)]
[ProducesResponseType(typeof(ProblemDetails), 401)]
[ProducesResponseType(typeof(ProblemDetails), 403)]
[ReleaseConnectionBeforeAnswer]
public abstract class ApiControllerBase : ControllerBase
{
    protected CurrentUser Caller => CurrentUser.From(User);

    /// <summary>The version the caller read (an ETag sent back as If-Match), or null when they sent none.</summary>
    protected string? IfMatch => Request.Headers.IfMatch.ToString() is { Length: > 0 } v ? v : null;

    /// <summary>An uploaded CSV: the body (text/csv), or the form field "file" (multipart/form-data).</summary>
    protected async Task<Stream> UploadedCsvAsync(CancellationToken ct)
    {
        if (!Request.HasFormContentType) return Request.Body;
        var form = await Request.ReadFormAsync(ct);
        return form.Files.GetFile("file")?.OpenReadStream() ?? throw new Core.Rules.InvalidInput("file", "attach the CSV as the form field 'file'");
    }
}

/// <summary>
/// The action changes only the version of its record the caller sent back as If-Match, when they send one (its ETag; 409
/// stale-version otherwise): the OpenAPI document gives it the If-Match header's parameter.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KeepsIfMatchAttribute : Attribute;
