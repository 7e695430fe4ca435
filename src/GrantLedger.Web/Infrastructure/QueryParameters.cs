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
/// or counted twice. A parameter given twice is refused too, naming it (a list, the seals' noted, aside): the first value was
/// read and the other dropped. What an operation takes is what the OpenAPI document says it takes (the API explorer's query parameters,
/// those of a [FromQuery] object among them), in any case, as they are bound. Checked before anything is read or written.
/// </summary>
public sealed class QueryParameters : IResourceFilter, IOrderedFilter
{
    /// <summary>Before the request size limits (900) and idempotency (1000): nothing is read, no key kept.</summary>
    public int Order => 0;

    private readonly ConcurrentDictionary<string, Taken> _taken = new();

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (context.ActionDescriptor is not ControllerActionDescriptor action || !typeof(ApiControllerBase).IsAssignableFrom(action.ControllerTypeInfo))
            return;
        var query = context.HttpContext.Request.Query;
        if (query.Count == 0) return;
        var taken = _taken.GetOrAdd(action.Id, _ => TakenBy(context.HttpContext.RequestServices, action));
        var errors = new Dictionary<string, string[]>();
        foreach (var (key, values) in query)
        {
            var named = taken.Names.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase));
            if (named is null)
                errors[key] = ["is not a query parameter of this operation: leave it out, or check its name against the OpenAPI document"];
            // ?limit=1&limit=2 read the first and dropped the second without a word: which one the client meant cannot be known.
            // Named as the document names it: ?limit=1&Limit=2 is one parameter given twice
            else if (values.Count > 1 && !taken.Lists.Contains(named))
                errors[named] = [$"is given {values.Count} times: give it once"];
        }
        if (errors.Count == 0) return;
        var list = taken.Names.Count == 0 ? "It takes no query parameters." : $"It takes {string.Join(", ", taken.Names)}, each once.";
        var said = errors.Values.Any(m => m[0].StartsWith("is not")) ? "The request's query has a parameter this operation does not take"
            : "The request's query gives a parameter more than once";
        var answers = context.HttpContext.RequestServices.GetRequiredService<ProblemAnswers>();
        var problem = answers.Validation(context.HttpContext, 400, errors, $"{said}. {list}");
        context.Result = new ObjectResult(problem) { StatusCode = 400, ContentTypes = { "application/problem+json" } };
    }

    public void OnResourceExecuted(ResourceExecutedContext context) { }

    /// <summary>The query parameters the OpenAPI document gives an action, as it names them, and those of them that are lists.</summary>
    private sealed record Taken(IReadOnlyList<string> Names, IReadOnlyList<string> Lists);

    private static Taken TakenBy(IServiceProvider services, ControllerActionDescriptor action)
    {
        var parameters = services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(g => g.Items).Where(d => d.ActionDescriptor.Id == action.Id)
            .SelectMany(d => d.ParameterDescriptions).Where(p => p.Source == BindingSource.Query).ToList();
        static string Named(ApiParameterDescription p) => char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
        return new Taken(parameters.Select(Named).Distinct().ToList(),
            parameters.Where(p => p.Type is { } t && t != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
                .Select(Named).Distinct().ToList());
    }
}
