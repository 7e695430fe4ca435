using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Marks a POST that moves money as safe to retry with an Idempotency-Key header. The key is
/// claimed (inserted) in the same transaction as the request's own writes, and the response is
/// stored with it before commit: so a retry, even concurrent with the first attempt, waits for
/// the first to finish and then gets its response back, and a crash leaves either both or
/// neither. The same key with a different request is refused with 422. A request that fails
/// stores nothing (its writes were rolled back), so it can be retried with the same key.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute, IFilterFactory
{
    public const string Header = "Idempotency-Key";
    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider services) => new Filter();

    private sealed class Filter : IAsyncResourceFilter
    {
        public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
        {
            var http = context.HttpContext;
            string? key = http.Request.Headers[Header];
            if (key is null)
            {
                await next();
                return;
            }
            var answers = http.RequestServices.GetRequiredService<ProblemAnswers>();
            if (key.Length is 0 or > 200)
            {
                context.Result = Problem(answers.Validation(http, 400,
                    new Dictionary<string, string[]> { [Header] = ["must be 1 to 200 characters"] }, "The Idempotency-Key header is invalid."));
                return;
            }
            var userId = long.Parse(http.User.FindFirstValue(ClaimTypes.NameIdentifier)!);

            http.Request.EnableBuffering();
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            http.Request.Body.Position = 0;
            var path = http.Request.Path + http.Request.QueryString;
            var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes($"{http.Request.Method}\n{path}\n"), .. body.ToArray()]);

            var db = http.RequestServices.GetRequiredService<GrantLedgerDb>();
            await using var tx = await db.Database.BeginTransactionAsync(http.RequestAborted);
            var (conn, npgsqlTx) = await db.NpgsqlAsync(http.RequestAborted);

            // Blocks while another transaction holds the same key; then either claims it or finds it taken.
            await using (var claim = new NpgsqlCommand("""
                INSERT INTO idempotency_key (user_id, key, method, path, request_hash) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT DO NOTHING
                """, conn, npgsqlTx))
            {
                claim.Parameters.Add(new() { Value = userId });
                claim.Parameters.Add(new() { Value = key });
                claim.Parameters.Add(new() { Value = http.Request.Method });
                claim.Parameters.Add(new() { Value = path });
                claim.Parameters.Add(new() { Value = hash });
                if (await claim.ExecuteNonQueryAsync(http.RequestAborted) == 0)
                {
                    await tx.RollbackAsync();
                    context.Result = await ReplayAsync(db, answers, http, userId, key, hash);
                    return;
                }
            }

            // Run the request inside our transaction, holding its response until we commit.
            var realBody = http.Response.Body;
            using var buffer = new MemoryStream();
            http.Response.Body = buffer;
            ResourceExecutedContext executed;
            try
            {
                executed = await next();
            }
            finally
            {
                http.Response.Body = realBody;
            }

            var status = http.Response.StatusCode;
            if (executed.Exception is null && status is >= 200 and < 300)
            {
                await using (var store = new NpgsqlCommand("""
                    UPDATE idempotency_key SET status_code = $3, response_body = $4, response_content_type = $5, response_location = $6
                    WHERE user_id = $1 AND key = $2
                    """, conn, npgsqlTx))
                {
                    store.Parameters.Add(new() { Value = userId });
                    store.Parameters.Add(new() { Value = key });
                    store.Parameters.Add(new() { Value = status });
                    store.Parameters.Add(new() { Value = buffer.ToArray() });
                    store.Parameters.Add(new() { Value = (object?)http.Response.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    store.Parameters.Add(new() { Value = (object?)http.Response.Headers.Location.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    await store.ExecuteNonQueryAsync(CancellationToken.None);
                }
                await tx.CommitAsync(CancellationToken.None);
            }
            else if (executed.Exception is null || executed.ExceptionHandled)
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
            else
            {
                await tx.RollbackAsync(CancellationToken.None);
                return; // the exception handler writes the problem to the real body
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(realBody, CancellationToken.None);
        }

        private static async Task<IActionResult> ReplayAsync(GrantLedgerDb db, ProblemAnswers answers, HttpContext http,
            long userId, string key, byte[] hash)
        {
            var stored = await db.Database
                .SqlQuery<StoredResponse>($"""
                    SELECT request_hash AS "RequestHash", status_code AS "StatusCode", response_body AS "ResponseBody",
                           response_content_type AS "ContentType", response_location AS "Location"
                    FROM idempotency_key WHERE user_id = {userId} AND key = {key}
                    """)
                .SingleAsync();
            if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
                return Problem(answers.Validation(http, 422,
                    new Dictionary<string, string[]> { [Header] = ["was already used for a different request"] },
                    "This Idempotency-Key was used before with another method, path or body. Use a new key for a new request."));
            http.Response.Headers["Idempotent-Replayed"] = "true";
            if (!string.IsNullOrEmpty(stored.Location)) http.Response.Headers.Location = stored.Location;
            return new StoredResult(stored.StatusCode ?? 200, stored.ContentType, stored.ResponseBody ?? []);
        }

        private static ObjectResult Problem(ProblemDetails problem) =>
            new(problem) { StatusCode = problem.Status, ContentTypes = { "application/problem+json" } };
    }

    private sealed record StoredResponse(byte[] RequestHash, int? StatusCode, byte[]? ResponseBody, string? ContentType, string? Location);
}

/// <summary>A response exactly as it was first given.</summary>
internal sealed class StoredResult(int status, string? contentType, byte[] body) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = status;
        if (contentType is not null) response.ContentType = contentType;
        await response.Body.WriteAsync(body);
    }
}
