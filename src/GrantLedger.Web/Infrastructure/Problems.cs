using System.Globalization;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Pages;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Every refusal as an RFC 9457 problem: the one place exceptions become answers. A broken rule
/// names the rule (type https://grantledger.example/rules/{rule}); invalid fields are listed under
/// "errors" by field; nothing here ever answers 500 for a caller's mistake.
/// </summary>
public sealed class ProblemAnswers(ProblemDetailsFactory factory, ILogger<ProblemAnswers> log) : IExceptionHandler
{
    public const string RuleTypeBase = "https://grantledger.example/rules/";

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // EF wraps database errors from SaveChanges: answer for the PostgreSQL refusal inside
        if (exception is Microsoft.EntityFrameworkCore.DbUpdateException { InnerException: PostgresException inner }
            and not Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException) exception = inner;
        if (exception is PostgresException pg && LedgerRefusals.Translate(pg) is { } translated) exception = translated;

        ProblemDetails problem;
        switch (exception)
        {
            case InvalidInput invalid:
                problem = Validation(http, 422, invalid.Errors, "The request has invalid fields.");
                break;
            case RuleBroken rule:
                problem = factory.CreateProblemDetails(http, rule.Status, RuleTitle(rule.Rule), RuleTypeBase + rule.Rule, rule.Message);
                problem.Extensions["rule"] = rule.Rule;
                if (rule.Field is not null)
                {
                    // named in `errors` too, where every bad field of a 400 or 422 is: a client that reads only `errors` sees it
                    problem.Extensions["field"] = rule.Field;
                    problem.Extensions["errors"] = new Dictionary<string, string[]> { [rule.Field] = [rule.Message] };
                }
                foreach (var (k, v) in rule.Details) problem.Extensions[k] = v;
                if (rule.Details.TryGetValue(RetryAfterMember, out var seconds)) http.Response.Headers.RetryAfter = Convert.ToString(seconds, CultureInfo.InvariantCulture);
                break;
            case NotFound notFound:
                problem = factory.CreateProblemDetails(http, 404, "Not found", detail: notFound.Message);
                break;
            case Forbidden forbidden:
                problem = factory.CreateProblemDetails(http, 403, "Forbidden", detail: forbidden.Message);
                break;
            case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique:
                problem = factory.CreateProblemDetails(http, 409, "Already exists",
                    detail: $"A record with the same {Describe(unique.ConstraintName)} already exists.");
                break;
            case PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }:
                problem = factory.CreateProblemDetails(http, 409, "Conflicting update",
                    detail: "Another request changed the same records at the same moment. Read them again and retry.");
                break;
            case PostgresException { SqlState: PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation } c:
                problem = factory.CreateProblemDetails(http, 422, "Refused by the database",
                    detail: $"The database refused the change ({c.ConstraintName}): {c.MessageText}");
                break;
            case Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException:
                problem = factory.CreateProblemDetails(http, 409, "Conflicting update",
                    detail: "The record was changed by someone else since you read it. Read it again and retry.");
                break;
            case BadHttpRequestException bad:
                problem = factory.CreateProblemDetails(http, bad.StatusCode, "Bad request", detail: bad.Message);
                break;
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return true; // the caller went away
            default:
                if (IsDatabaseUnavailable(exception))
                {
                    // A read changed nothing. A change may have been committed before the database stopped answering (its
                    // COMMIT sent, the answer lost): the caller is told that it cannot be known here, and how to find out.
                    var read = IsRead(http.Request);
                    problem = factory.CreateProblemDetails(http, 503, "Database unavailable", detail: read
                        ? "The database cannot be reached just now. Nothing was changed; try again shortly."
                        : "The database could not be reached, or stopped answering, while this change was being made, so whether it was saved is not known. "
                          + "Read the record again before you repeat it. A change sent with an Idempotency-Key can be repeated with the same key: "
                          + "if the first was saved, its answer comes back and nothing is done twice.");
                    problem.Extensions["outcome"] = read ? UnavailableOutcome.NothingChanged : UnavailableOutcome.Unknown;
                    http.Response.Headers.RetryAfter = RetryAfterUnavailable;
                    ForgetDeadConnections(http);
                    break;
                }
                // a bug: the framework logs it and answers 500; a page's, logged here, is answered with the error page
                if (!PagesSetup.IsPageRequest(http.Request)) return false;
                log.LogError(exception, "A page failed");
                await AnswerAsync(http, factory.CreateProblemDetails(http, 500), ct);
                return true;
        }

        if (problem.Status >= 500) log.LogWarning(exception, "Answered {Status}", problem.Status);
        else await ReleaseConnectionBeforeAnswerAttribute.ReleaseAsync(http); // the request's work is over (rolled back)
        // a page's refusal is a page that says nothing changed, and an outage one that says whether anything may have
        if (PagesSetup.IsPageRequest(http.Request) && problem.Status switch
            {
                403 => "/forbidden",
                404 => "/forbidden?missing=1",
                503 => IsRead(http.Request) ? "/unavailable" : "/unavailable?change=1",
                _ => null,
            } is { } page)
        {
            http.Response.Redirect(page);
            return true;
        }
        await AnswerAsync(http, problem, ct);
        return true;
    }

    /// <summary>
    /// Answers with the problem: as an RFC 9457 document, or for a page request with its status code alone, which the
    /// error pages turn into a page a person can read (<see cref="PagesSetup.UseErrorPages"/>).
    /// </summary>
    public static Task AnswerAsync(HttpContext http, ProblemDetails problem, CancellationToken ct)
    {
        http.Response.StatusCode = problem.Status ?? 500;
        return PagesSetup.IsPageRequest(http.Request)
            ? Task.CompletedTask
            : http.Response.WriteAsJsonAsync(problem, problem.GetType(), (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", ct);
    }

    public ProblemDetails Validation(HttpContext http, int status, IReadOnlyDictionary<string, string[]> errors, string detail)
    {
        var problem = factory.CreateValidationProblemDetails(http, new Microsoft.AspNetCore.Mvc.ModelBinding.ModelStateDictionary(), status,
            status == 400 ? "The request is malformed." : "The request has invalid fields.", detail: detail);
        foreach (var (field, messages) in errors) problem.Errors[field] = messages;
        return problem;
    }

    /// <summary>A broken rule's detail that says in how many seconds to try again: also sent as the Retry-After header.</summary>
    public const string RetryAfterMember = "retryAfter";

    /// <summary>Seconds to wait before trying again when the database is unavailable: the API's 503 and the pages' say the same.</summary>
    public const string RetryAfterUnavailable = "5";

    /// <summary>A request that only reads (GET, HEAD, OPTIONS): if it fails, nothing was changed.</summary>
    public static bool IsRead(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);

    /// <summary>Pooled connections opened before an outage are dead: drop the idle ones, so that the next request opens a fresh one.</summary>
    public static void ForgetDeadConnections(HttpContext http)
    {
        http.RequestServices.GetService<NpgsqlDataSource>()?.Clear();
        http.RequestServices.GetKeyedService<NpgsqlDataSource>(DatabaseEndpoint.Background)?.Clear();
    }

    /// <summary>The database could not be reached, or stopped answering: not the request's fault, nor a refusal.</summary>
    public static bool IsDatabaseUnavailable(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } => true,
        System.Net.Sockets.SocketException => true,
        TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
        Microsoft.EntityFrameworkCore.DbUpdateException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
        _ when e.InnerException is NpgsqlException { IsTransient: true } => true,
        _ => false,
    };

    private static string RuleTitle(string rule) =>
        char.ToUpperInvariant(rule[0]) + rule[1..].Replace('-', ' ');

    private static string Describe(string? constraint) => constraint switch
    {
        null => "key",
        _ when constraint.EndsWith("_key") => string.Join(" and ", constraint.Split('_').Skip(1).SkipLast(1)),
        _ => constraint,
    };
}

/// <summary>What a 503 "Database unavailable" problem says became of the request, in its "outcome" member.</summary>
public static class UnavailableOutcome
{
    /// <summary>A read: nothing was changed.</summary>
    public const string NothingChanged = "nothing-changed";

    /// <summary>A change that may or may not have been committed before the database stopped answering.</summary>
    public const string Unknown = "unknown";
}
