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
/// A refusal (a problem answer, <see cref="ProblemAnswers"/>, or the token handler's 401 and 403) gives it back the same way.
/// Kept open while a transaction is (an idempotent request commits after its answer is written), and for answers that
/// still read as they are written: streams, files on disk, queries and async sequences.
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
    /// <remarks>
    /// EF closes a connection when each of its opens has been matched by a close. Its DbContext pool does not reset that
    /// count when it takes a context back: a request that ended with the connection still open (a streamed answer,
    /// a page, a failure) leaves the context's next users one open too many, and EF's close alone would then leave
    /// their connection open to the end of every request. So the connection itself is closed when EF's close did not.
    /// </remarks>
    public static async Task ReleaseAsync(HttpContext http)
    {
        var db = http.RequestServices.GetRequiredService<GrantLedgerDb>();
        if (db.Database.CurrentTransaction is not null) return;
        await db.Database.CloseConnectionAsync(); // EF's count of opens, right unless an earlier user of the context left it wrong
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Closed) await connection.CloseAsync();
    }

    private static bool InMemory(IActionResult result) => result switch
    {
        ObjectResult { Value: IQueryable or IAsyncEnumerable<object> } => false, // read as it is written (covariant: any class of rows)
        ObjectResult or StatusCodeResult or FileContentResult => true, // a file's bytes are in memory too
        _ => false,
    };
}
