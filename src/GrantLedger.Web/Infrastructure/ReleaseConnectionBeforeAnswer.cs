using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Gives the request's database connection back to the pool once the action's answer is in memory, before it is
/// written to the client, rather than when the request ends.
/// </summary>
/// <remarks>
/// The connection is opened when the API token is checked and stays open for the request (see ApiTokenHandler).
/// Given back only when the request ended, it was still out when the client's next request arrived on the heels of
/// the answer, so that request needed another connection and the pool grew past what the load needs. Npgsql hands
/// out idle connections first in, first out, so one client's requests then went round all of them, each on a server
/// process whose caches the others had cooled (docs/performance.md, section 9).
/// A refusal (a problem answer, <see cref="ProblemAnswers"/>) gives it back the same way.
/// Kept open while a transaction is (an idempotent request commits after its answer is written), and for answers that
/// still read as they are written: files, streams, queries and async sequences.
/// </remarks>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ReleaseConnectionBeforeAnswerAttribute : Attribute, IAsyncResultFilter
{
    public async Task OnResultExecutionAsync(ResultExecutingContext context, ResultExecutionDelegate next)
    {
        if (InMemory(context.Result)) await ReleaseAsync(context.HttpContext);
        await next();
    }

    /// <summary>Closes the request's connection (back to the pool) unless a transaction is open on it.</summary>
    public static async Task ReleaseAsync(HttpContext http)
    {
        var db = http.RequestServices.GetRequiredService<GrantLedgerDb>();
        if (db.Database.CurrentTransaction is null) await db.Database.CloseConnectionAsync();
    }

    private static bool InMemory(IActionResult result) => result switch
    {
        ObjectResult { Value: IQueryable or IAsyncEnumerable<object> } => false, // read as it is written (covariant: any class of rows)
        ObjectResult or StatusCodeResult => true,
        _ => false,
    };
}
