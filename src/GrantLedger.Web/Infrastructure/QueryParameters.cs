using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// An API request with a query parameter its operation does not take is refused, 400 naming it, as a JSON field the request
/// does not have is (<see cref="MalformedRequest"/>), and the answer lists the ones it takes: a client that pages the journal
/// with "after" (it takes "cursor") or the claims with "cursor" (they take "before") was given the first page again, and looped
/// or counted twice. What an operation takes is what the OpenAPI document says it takes (the API explorer's query parameters,
/// those of a [FromQuery] object among them), in any case, as they are bound. Checked before anything is read or written.
/// </summary>
public sealed class QueryParameters : IResourceFilter, IOrderedFilter
{
    /// <summary>Before the request size limits (900) and idempotency (1000): nothing is read, no key kept.</summary>
    public int Order => 0;

    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _taken = new();

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (context.ActionDescriptor is not ControllerActionDescriptor action || !typeof(ApiControllerBase).IsAssignableFrom(action.ControllerTypeInfo))
            return;
        var query = context.HttpContext.Request.Query;
        if (query.Count == 0) return;
        var taken = _taken.GetOrAdd(action.Id, _ => Taken(context.HttpContext.RequestServices, action));
        var notTaken = query.Keys.Where(k => !taken.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        if (notTaken.Count == 0) return;
        var list = taken.Count == 0 ? "It takes no query parameters." : $"It takes {string.Join(", ", taken)}.";
        var answers = context.HttpContext.RequestServices.GetRequiredService<ProblemAnswers>();
        var problem = answers.Validation(context.HttpContext, 400,
            notTaken.ToDictionary(k => k, _ => new[] { "is not a query parameter of this operation: leave it out, or check its name against the OpenAPI document" }),
            $"The request's query has a parameter this operation does not take. {list}");
        context.Result = new ObjectResult(problem) { StatusCode = 400, ContentTypes = { "application/problem+json" } };
    }

    public void OnResourceExecuted(ResourceExecutedContext context) { }

    /// <summary>The query parameters the OpenAPI document gives the action, as it names them.</summary>
    private static IReadOnlyList<string> Taken(IServiceProvider services, ControllerActionDescriptor action) =>
        services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(g => g.Items).Where(d => d.ActionDescriptor.Id == action.Id)
            .SelectMany(d => d.ParameterDescriptions).Where(p => p.Source == BindingSource.Query)
            .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]).Distinct().ToList();
}
