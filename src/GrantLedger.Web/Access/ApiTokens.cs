using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace GrantLedger.Web.Access;

/// <summary>Bearer tokens: "glt_" and 43 random URL-safe characters; the database holds only the SHA-256.</summary>
public static class ApiTokens
{
    public const string Scheme = "Bearer";
    public const string Prefix = "glt_";

    public static string NewToken() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>What a user sees to tell their tokens apart: "glt_AbCd…".</summary>
    public static string Shown(string token) => token[..Math.Min(token.Length, Prefix.Length + 6)];

    public static async Task<(ApiToken Token, string Secret)> IssueAsync(GrantLedgerDb db, long userId, string name, TimeSpan lifetime,
        string? secret = null, CancellationToken ct = default)
    {
        secret ??= NewToken();
        var token = new ApiToken
        {
            UserId = userId,
            Name = name,
            TokenHash = Hash(secret),
            Prefix = Shown(secret),
            ExpiresAt = DateTimeOffset.UtcNow + lifetime, // created now(), by the database: the time of the event that issues it
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return (token, secret);
    }

    /// <summary>
    /// Issues another token for the caller (for a script, say), audited as token.issued: its name (1 to 100 characters) and
    /// its life in days (1 to 365, 30 when not given). One use case for POST /me/tokens and the page /account/tokens/new.
    /// </summary>
    public static async Task<(ApiToken Token, string Secret, AppUser User)> IssueOwnAsync(GrantLedgerDb db, Audit.AuditTrail audit, CurrentUser caller,
        string? name, int? days, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var named = errors.Text("name", name, NewTokenRequest.MostName);
        if (days is < 1 or > 365) errors.Add("days", "must be between 1 and 365");
        errors.ThrowIfAny();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == caller.Id, ct);
        var (token, secret) = await db.InTransactionAsync(async () =>
        {
            var issued = await IssueAsync(db, user.Id, named!, TimeSpan.FromDays(days ?? 30), ct: ct);
            audit.Record(AuditAction.TokenIssued, issued.Token.Id, user.ProgrammeId, new { issued.Token.Name, issued.Token.ExpiresAt });
            await db.SaveChangesAsync(ct);
            return issued;
        }, ct);
        return (token, secret, user);
    }

    /// <summary>
    /// A user's tokens, oldest first, as the API and the pages list them (the secret is never kept: its prefix tells them
    /// apart); or the one of them <paramref name="tokenId"/> names, for a page to show.
    /// </summary>
    public static IQueryable<TokenView> Of(GrantLedgerDb db, long userId, long? tokenId = null) =>
        db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId && (tokenId == null || t.Id == tokenId)).OrderBy(t => t.Id)
            .Select(t => new TokenView(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt));

    /// <summary>
    /// Revokes a token: it stops working at once, here and (by the database's notice) on every other instance. One use case for
    /// DELETE /me/tokens/{id}, DELETE /users/{userId}/tokens/{id} and both pages' Revoke. Audited as token.revoked, by
    /// whoever did it (the token's user or their programme admin); a token revoked before keeps the time it was revoked.
    /// </summary>
    /// <param name="programmeId">the programme of the token's user, for the audit trail</param>
    public static async Task RevokeAsync(GrantLedgerDb db, Audit.AuditTrail audit, ApiTokenCache tokens, ApiToken token, long? programmeId,
        CancellationToken ct)
    {
        await db.InTransactionAsync(async () =>
        {
            token.RevokedAt ??= await db.NowAsync(ct); // the time of its audit event
            audit.Record(AuditAction.TokenRevoked, token.Id, programmeId, new { token.Name, token.Prefix, token.UserId });
            await db.SaveChangesAsync(ct);
        }, ct);
        tokens.Forget(token.UserId); // here at once; other instances when the database's notice reaches them
    }

    /// <summary>One of the caller's own tokens, to revoke: 404 for one that is not theirs, as for one that does not exist.</summary>
    public static async Task<ApiToken> OwnAsync(GrantLedgerDb db, CurrentUser caller, long tokenId, CancellationToken ct) =>
        await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == caller.Id, ct) ?? throw new NotFound("token", tokenId);

    /// <summary>
    /// A token of a user the caller administers (<see cref="Users.Administered"/>), to revoke: 404 for a user outside their
    /// programme or a token not that user's, as for ones that do not exist. The admin's own tokens are theirs to revoke as
    /// anyone's are (<see cref="OwnAsync"/>): refused here, as resetting or disabling their own account is.
    /// </summary>
    public static async Task<(AppUser User, ApiToken Token)> AdministeredAsync(GrantLedgerDb db, CurrentUser caller, long userId, long tokenId,
        CancellationToken ct)
    {
        var user = await Users.Administered(db, caller).SingleOrDefaultAsync(u => u.Id == userId, ct) ?? throw new NotFound("user", userId);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct) ?? throw new NotFound("token", tokenId);
        if (user.Id == caller.Id) throw new RuleBroken(OwnTokenRule, $"revoke your own tokens as everyone does: DELETE /api/v1/me/tokens/{tokenId}", 409);
        return (user, token);
    }

    /// <summary>An admin revoking their own token as an admin: they do it as its user (<see cref="OwnAsync"/>).</summary>
    public const string OwnTokenRule = "own-token";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Authenticates "Authorization: Bearer glt_…" against the stored hashes, or against what this instance read for the same
/// hash within the last half minute while it hears every change to tokens and users (<see cref="ApiTokenCache"/>).
/// </summary>
public sealed class ApiTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    GrantLedgerDb db, ProblemDetailsFactory problems, ApiTokenCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    // Compiled once rather than through EF's per-query pipeline each time, and only the columns the checks and the user's
    // claims need (not the password hash, stamps, phone, …).
    private static readonly Func<GrantLedgerDb, byte[], CancellationToken, Task<FoundToken?>> TokenWithUser = EF.CompileAsyncQuery(
        (GrantLedgerDb db, byte[] hash, CancellationToken ct) => db.ApiTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash)
            .Join(db.Users.AsNoTracking(), t => t.UserId, u => u.Id, (t, u) => new FoundToken(t.Id, t.ExpiresAt, t.RevokedAt, t.LastUsedAt,
                new AppUser
                {
                    Id = u.Id, UserName = u.UserName, DisplayName = u.DisplayName, Role = u.Role, ProgrammeId = u.ProgrammeId,
                    AreaId = u.AreaId, SchoolId = u.SchoolId, DisabledAt = u.DisabledAt, LockoutEnd = u.LockoutEnd,
                    MustChoosePassword = u.MustChoosePassword,
                }))
            .SingleOrDefault());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (!secret.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal) || secret.Length > 100)
            return AuthenticateResult.Fail("not a GrantLedger API token");

        var hash = ApiTokens.Hash(secret);
        // Opened here, the request's connection stays open until the answer is ready (EF closes only what it opened; an API
        // controller's answer or a refusal closes it: ReleaseConnectionBeforeAnswerAttribute),
        // rather than going back to the pool after each query: every return costs a reset statement on the next
        // use and Npgsql's pooling work, four or five times for a claim's submission (docs/performance.md).
        await db.Database.OpenConnectionAsync(Context.RequestAborted);
        if (!cache.TryGet(hash, out var found))
        {
            var generation = cache.Generation;
            found = await TokenWithUser(db, hash, Context.RequestAborted);
            if (found is not null) cache.Keep(hash, found, generation);
        }
        var now = DateTimeOffset.UtcNow;
        if (found is null) return AuthenticateResult.Fail("unknown token");
        if (found.RevokedAt is not null) return AuthenticateResult.Fail("the token was revoked");
        if (found.ExpiresAt <= now) return AuthenticateResult.Fail("the token has expired");
        if (found.User.DisabledAt is not null) return AuthenticateResult.Fail("the account is disabled");
        if (found.User.LockoutEnd > now) return AuthenticateResult.Fail("the account is locked");

        // Record use at most every five minutes, so that reads stay reads (the update's notice makes the cache read it again).
        if (found.LastUsedAt is null || found.LastUsedAt < now.AddMinutes(-5))
            await db.ApiTokens.Where(t => t.Id == found.TokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);

        var identity = new ClaimsIdentity(CurrentUser.ClaimsOf(found.User), ApiTokens.Scheme, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiTokens.Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : $"Bearer error=\"invalid_token\", error_description=\"{failure}\"";
        await WriteProblem(401, "Unauthorized",
            failure is null ? "Sign in: send an API token as 'Authorization: Bearer glt_…'." : $"The API token was refused: {failure}.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(403, "Forbidden", "Your role does not allow this.");

    private async Task WriteProblem(int status, string title, string detail)
    {
        var problem = problems.CreateProblemDetails(Context, status, title, detail: detail);
        await ReleaseConnectionBeforeAnswerAttribute.ReleaseAsync(Context); // refused: the request's work is over
        Response.StatusCode = status;
        await Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}
