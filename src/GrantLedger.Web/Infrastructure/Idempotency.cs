using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Every API request that writes (POST, PUT, PATCH, DELETE) is safe to retry with an Idempotency-Key header. The key is
/// claimed (inserted) in the same transaction as the request's own writes, and the answer is stored with it before
/// commit: so a retry, even concurrent with the first attempt, waits for the first to finish and then gets its answer
/// back, and a crash leaves either both or neither. The same key with a different request is refused with 422. A
/// request that fails stores nothing (its writes were rolled back), so it can be retried with the same key. A request
/// without the header costs one look at the headers. Reads ignore it: they have nothing to repeat.
/// <para>
/// The operations marked <see cref="TakesNoIdempotencyKeyAttribute"/> (signing in, issuing a token: their answer is a
/// secret, which is never stored) refuse a request that carries one, 400 naming the header; those marked
/// <see cref="TakesNoIdempotencyKeyWithAttribute"/> refuse one only when the request's body gives that field (a password).
/// An answer holding a secret made for it (a one-time password) names the answer a repeat is given in its place
/// (<see cref="ReplayInstead"/>): that one is stored, the secret never.
/// </para>
/// </summary>
public sealed class Idempotency : IAsyncResourceFilter, IOrderedFilter
{
    public const string Header = "Idempotency-Key";

    /// <summary>After the request size and form limits (900), which must be set before the body is read.</summary>
    public int Order => 1000;

    /// <summary>An answer's own headers, given back with it: its version, a file's name and its SHA-256 (Location has a column of its own).</summary>
    private static readonly string[] KeptHeaders = ["ETag", "Content-Disposition", "X-Content-SHA256"];

    /// <summary>Why signing in and issuing a token take no key.</summary>
    public const string AnswersASecret =
        "its answer is a new token, a secret that is never stored to be given again (a second token from a retry can be revoked)";

    /// <summary>Why an operation whose request holds a password takes no key (a key's stored request hash would be a fast, unsalted hash of it).</summary>
    public const string HoldsAPassword =
        "its request holds a password, which is never stored, not even in the hash that tells a retry from another request; "
        + "a retry acts once without a key all the same (a user name is taken once; a password changed, the old one is refused)";

    /// <summary>Why a user's creation or a password's reset takes a key only when the service makes the password.</summary>
    public const string HoldsAPasswordWhenGiven =
        "a request that gives a password takes no key: its stored hash would be a fast, unsalted hash of the password; "
        + "without one the service makes the password and its answer is stored without it";

    private const string Anonymous = "a key is its caller's own, and this request is made before the caller is known";

    /// <summary>Why an operation that writes takes no key (a request to it with one is refused), or null when it takes one.</summary>
    public static string? Refused(ControllerActionDescriptor action) =>
        action.MethodInfo.GetCustomAttributes(typeof(TakesNoIdempotencyKeyAttribute), false).FirstOrDefault() is TakesNoIdempotencyKeyAttribute none
            ? none.Why
            : action.MethodInfo.IsDefined(typeof(Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute), false) ? Anonymous : null;

    private static readonly object ReplayKey = new();

    /// <summary>
    /// The answer a repeat of this request (same key) is given in place of the one now being answered, because this one holds
    /// a secret made for it that is given once and never stored: it is stored (as JSON, with the same status and headers)
    /// instead of the answer's own body.
    /// </summary>
    public static void ReplayInstead(HttpContext http, object answer) => http.Items[ReplayKey] = answer;

    /// <summary>Whether a request by this method writes, and so may carry a key.</summary>
    public static bool Writes(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var http = context.HttpContext;
        string? key = http.Request.Headers[Header];
        if (key is null || context.ActionDescriptor is not ControllerActionDescriptor action || !Writes(http.Request.Method))
        {
            await next();
            return;
        }
        var answers = http.RequestServices.GetRequiredService<ProblemAnswers>();
        if ((Refused(action) ?? (http.User.FindFirstValue(ClaimTypes.NameIdentifier) is null ? Anonymous : null)) is { } why)
        {
            context.Result = Problem(answers.Validation(http, 400, new Dictionary<string, string[]> { [Header] = [$"is not taken by this operation: {why}"] },
                $"This operation takes no {Header}: send the request without one."));
            return;
        }
        if (action.MethodInfo.GetCustomAttributes(typeof(TakesNoIdempotencyKeyWithAttribute), false).FirstOrDefault() is TakesNoIdempotencyKeyWithAttribute given
            && await GivesAsync(http.Request, given.Field))
        {
            context.Result = Problem(answers.Validation(http, 400, new Dictionary<string, string[]>
                {
                    [Header] = [$"is not taken by this operation with a {given.Field}: {given.Why}"],
                },
                $"This operation takes no {Header} when its body gives a {given.Field}: send the request without one, or without the {given.Field}."));
            return;
        }
        if (key.Length is 0 or > 200)
        {
            context.Result = Problem(answers.Validation(http, 400,
                new Dictionary<string, string[]> { [Header] = ["must be 1 to 200 characters"] }, "The Idempotency-Key header is invalid."));
            return;
        }
        var userId = long.Parse(http.User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var path = http.Request.Path + http.Request.QueryString;
        var hash = await RequestHashAsync(http.Request, path);

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

        // Run the request inside our transaction, holding its answer until we commit.
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
            var headers = KeptHeaders.Where(h => http.Response.Headers.ContainsKey(h)).ToDictionary(h => h, h => http.Response.Headers[h].ToString());
            await using (var store = new NpgsqlCommand("""
                UPDATE idempotency_key SET status_code = $3, response_body = $4, response_content_type = $5, response_location = $6,
                                           response_headers = $7
                WHERE user_id = $1 AND key = $2
                """, conn, npgsqlTx))
            {
                store.Parameters.Add(new() { Value = userId });
                store.Parameters.Add(new() { Value = key });
                store.Parameters.Add(new() { Value = status });
                store.Parameters.Add(new() { Value = http.Items.TryGetValue(ReplayKey, out var instead) && instead is not null
                    ? JsonSerializer.SerializeToUtf8Bytes(instead, instead.GetType(),
                        http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Mvc.JsonOptions>>().Value.JsonSerializerOptions)
                    : buffer.ToArray() });
                store.Parameters.Add(new() { Value = (object?)http.Response.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                store.Parameters.Add(new() { Value = (object?)http.Response.Headers.Location.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                store.Parameters.Add(new() { Value = JsonSerializer.Serialize(headers), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
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

    /// <summary>
    /// SHA-256 of the method, the path and the body. A form's fields and files are hashed rather than its bytes: a
    /// client draws a new multipart boundary for each attempt, so the bytes of the same file sent again differ.
    /// </summary>
    private static async Task<byte[]> RequestHashAsync(HttpRequest request, string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{path}\n"));
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted); // kept for the action's own reading
            foreach (var (name, values) in form.OrderBy(f => f.Key, StringComparer.Ordinal))
                hash.AppendData(Encoding.UTF8.GetBytes($"{name}={string.Join('\0', values.ToArray())}\n"));
            foreach (var file in form.Files)
            {
                hash.AppendData(Encoding.UTF8.GetBytes($"{file.Name}:{file.FileName}:{file.ContentType}:{file.Length}\n"));
                await using var content = file.OpenReadStream();
                var chunk = new byte[81920];
                for (int read; (read = await content.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0;) hash.AppendData(chunk, 0, read);
            }
        }
        else
        {
            request.EnableBuffering();
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
            request.Body.Position = 0;
            hash.AppendData(body.ToArray());
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Whether the JSON body gives this top-level field (any case, as the model binder reads it) a value: not absent, null
    /// or "". A body that is not JSON gives none (the action refuses it, storing nothing).
    /// </summary>
    private static async Task<bool> GivesAsync(HttpRequest request, string field)
    {
        if (request.HasFormContentType) return false;
        request.EnableBuffering();
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            return body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.EnumerateObject().Any(p =>
                string.Equals(p.Name, field, StringComparison.OrdinalIgnoreCase)
                && p.Value.ValueKind != JsonValueKind.Null && !(p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == ""));
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private static async Task<IActionResult> ReplayAsync(GrantLedgerDb db, ProblemAnswers answers, HttpContext http,
        long userId, string key, byte[] hash)
    {
        var stored = await db.Database
            .SqlQuery<StoredResponse>($"""
                SELECT request_hash AS "RequestHash", status_code AS "StatusCode", response_body AS "ResponseBody",
                       response_content_type AS "ContentType", response_location AS "Location", response_headers::text AS "Headers"
                FROM idempotency_key WHERE user_id = {userId} AND key = {key}
                """)
            .SingleAsync();
        if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
            return Problem(answers.Validation(http, 422,
                new Dictionary<string, string[]> { [Header] = ["was already used for a different request"] },
                "This Idempotency-Key was used before with another method, path or body. Use a new key for a new request."));
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (!string.IsNullOrEmpty(stored.Location)) http.Response.Headers.Location = stored.Location;
        if (stored.Headers is not null)
            foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(stored.Headers)!) http.Response.Headers[name] = value;
        return new StoredResult(stored.StatusCode ?? 200, stored.ContentType, stored.ResponseBody ?? []);
    }

    private static ObjectResult Problem(ProblemDetails problem) =>
        new(problem) { StatusCode = problem.Status, ContentTypes = { "application/problem+json" } };

    private sealed record StoredResponse(byte[] RequestHash, int? StatusCode, byte[]? ResponseBody, string? ContentType, string? Location, string? Headers);
}

/// <summary>An operation that writes but takes no Idempotency-Key, and why: a request to it with one is refused (400).</summary>
/// <param name="why">why, as the refusal and the OpenAPI document say it ("its answer is …")</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TakesNoIdempotencyKeyAttribute(string why) : Attribute
{
    public string Why { get; } = why;
}

/// <summary>
/// An operation that takes an Idempotency-Key except on a request whose JSON body gives <paramref name="field"/> (a
/// password): that request with one is refused (400), and why.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TakesNoIdempotencyKeyWithAttribute(string field, string why) : Attribute
{
    public string Field { get; } = field;
    public string Why { get; } = why;
}

/// <summary>An answer exactly as it was first given.</summary>
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
