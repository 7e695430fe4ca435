using GrantLedger.Core.Rules;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Access;

// MVC logs an action's arguments at Trace by their ToString, which for a record prints every field: these print no password.
public sealed record TokenRequest(string? UserName, string? Password, [property: MaxText(NewTokenRequest.MostName)] string? TokenName, int? Days)
{
    public override string ToString() => $"TokenRequest {{ UserName = {UserName}, TokenName = {TokenName}, Days = {Days} }}";
}
public sealed record NewTokenRequest([property: MaxText(NewTokenRequest.MostName)] string? Name, int? Days)
{
    public const int MostName = 100;
}
public sealed record PasswordChoice(string? UserName, string? CurrentPassword, [property: MaxText(Passwords.MaxLength)] string? NewPassword)
{
    public override string ToString() => $"PasswordChoice {{ UserName = {UserName} }}";
}
public sealed record PasswordChange(string? CurrentPassword, [property: MaxText(Passwords.MaxLength)] string? NewPassword)
{
    public override string ToString() => "PasswordChange { }";
}
public sealed record PasswordReset([property: MaxText(Passwords.MaxLength)] string? Password)
{
    public override string ToString() => $"PasswordReset {{ Password given = {Password is not null} }}";
}
public sealed record IssuedToken(long Id, string Name, string Token, DateTimeOffset ExpiresAt, UserView User);
public sealed record TokenView(long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>Signing in for an API token; your own account and tokens; user administration.</summary>
public sealed class AccessController(GrantLedgerDb db, UserManager<AppUser> users, AuditTrail audit,
    ApiTokenCache tokens)
    : ApiControllerBase
{
    /// <summary>
    /// Exchanges a user name and password for a bearer token (default 30 days, at most 365). Five
    /// wrong passwords lock the account for 15 minutes. A one-time password from a programme admin gets no token: 403
    /// password-change-required, until its user has chosen their own (POST /api/v1/auth/password).
    /// </summary>
    [HttpPost("auth/token")]
    [AllowAnonymous]
    [TakesNoIdempotencyKey(Idempotency.AnswersASecret)]
    [EnableRateLimiting(Security.SignInPolicy)]
    [ProducesResponseType(typeof(ProblemDetails), 429)]
    [ProducesResponseType(typeof(IssuedToken), 201)]
    public async Task<ActionResult<IssuedToken>> Token(TokenRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.UserName)) errors.Add("userName", "is required");
        if (string.IsNullOrEmpty(request.Password)) errors.Add("password", "is required");
        var tokenName = errors.Text("tokenName", request.TokenName, NewTokenRequest.MostName, required: false);
        if (request.Days is < 1 or > 365) errors.Add("days", "must be between 1 and 365");
        errors.ThrowIfAny();

        var (user, result) = await PasswordCheck.CheckAsync(HttpContext, request.UserName!, request.Password!);
        if (!result.Succeeded)
        {
            audit.Record(AuditAction.SignInFailed, user?.Id, user?.ProgrammeId,
                new { userName = request.UserName, via = "api", locked = result.IsLockedOut }, actor: null);
            await db.SaveChangesAsync(ct);
            var detail = result.IsLockedOut
                ? "Too many wrong passwords: the account is locked for 15 minutes."
                : "The user name or password is wrong.";
            return Problem(statusCode: 401, title: "Unauthorized", detail: detail);
        }
        if (user!.MustChoosePassword)
        {
            // the right one-time password, from where: an auditor sees who used it before its user chose their own
            audit.Record(AuditAction.SignInRefused, user.Id, user.ProgrammeId, new { via = "api", reason = OneTimePasswords.Rule }, user);
            await db.SaveChangesAsync(ct);
            throw new RuleBroken(OneTimePasswords.Rule, OneTimePasswords.HowToChoose, 403);
        }

        var name = tokenName ?? "api";
        var (token, secret) = await db.InTransactionAsync(async () =>
        {
            var issued = await ApiTokens.IssueAsync(db, user!.Id, name, TimeSpan.FromDays(request.Days ?? 30), ct: ct);
            audit.Record(AuditAction.SignInSucceeded, user.Id, user.ProgrammeId, new { via = "api", tokenId = issued.Token.Id }, user);
            await db.SaveChangesAsync(ct);
            return issued;
        }, ct);
        return Created("/api/v1/me/tokens", new IssuedToken(token.Id, token.Name, secret, token.ExpiresAt, UserView.Of(user!)));
    }

    /// <summary>
    /// Chooses a new password, saying the current one: how a user given a one-time password by a programme admin chooses
    /// their own before they can have a token; anyone may change theirs this way. Every page session of the account ends.
    /// </summary>
    [HttpPost("auth/password")]
    [AllowAnonymous]
    [EnableRateLimiting(Security.SignInPolicy)]
    [ProducesResponseType(204)]
    [ProducesResponseType(typeof(ProblemDetails), 429)]
    public async Task<IActionResult> ChoosePassword(PasswordChoice request, CancellationToken ct)
    {
        await Passwords.ChooseAsync(HttpContext, db, users, audit, request.UserName, request.CurrentPassword, request.NewPassword, "api", signedIn: false, ct);
        return NoContent();
    }

    /// <summary>Changes your own password, saying the current one. Your other page sessions end; your API tokens stay.</summary>
    [HttpPost("me/password")]
    [TakesNoIdempotencyKey(Idempotency.HoldsAPassword)]
    [Authorize(Roles = Roles.Everyone)] // auditors too: their password is their own, not a record of the ledger
    [EnableRateLimiting(Security.SignInPolicy)]
    [ProducesResponseType(204)]
    public async Task<IActionResult> ChangePassword(PasswordChange request, CancellationToken ct)
    {
        await Passwords.ChooseAsync(HttpContext, db, users, audit, Caller.UserName, request.CurrentPassword, request.NewPassword, "api", signedIn: true, ct);
        return NoContent();
    }

    [HttpGet("me")]
    [Authorize(Roles = Roles.Everyone)]
    public async Task<UserView> Me(CancellationToken ct) =>
        UserView.Of(await db.Users.AsNoTracking().SingleAsync(u => u.Id == Caller.Id, ct));

    [HttpGet("me/tokens")]
    [Authorize(Roles = Roles.Everyone)]
    public async Task<IReadOnlyList<TokenView>> MyTokens(CancellationToken ct) => await ApiTokens.Of(db, Caller.Id).ToListAsync(ct);

    /// <summary>Issues another token for yourself (for a script, say). The token is shown once.</summary>
    [HttpPost("me/tokens")]
    [Authorize(Roles = Roles.Writers)]
    [TakesNoIdempotencyKey(Idempotency.AnswersASecret)]
    [EnableRateLimiting(Security.SignInPolicy)]
    [ProducesResponseType(typeof(IssuedToken), 201)]
    public async Task<ActionResult<IssuedToken>> NewToken(NewTokenRequest request, CancellationToken ct)
    {
        var (token, secret, user) = await ApiTokens.IssueOwnAsync(db, audit, Caller, request.Name, request.Days, ct);
        return Created("/api/v1/me/tokens", new IssuedToken(token.Id, token.Name, secret, token.ExpiresAt, UserView.Of(user)));
    }

    /// <summary>Revokes one of your tokens; it stops working at once.</summary>
    [HttpDelete("me/tokens/{id:long}")]
    [Authorize(Roles = Roles.Writers)]
    [ProducesResponseType(204)]
    public async Task<IActionResult> RevokeToken(long id, CancellationToken ct)
    {
        await ApiTokens.RevokeAsync(db, audit, tokens, await ApiTokens.OwnAsync(db, Caller, id, ct), Caller.ProgrammeId, ct);
        return NoContent();
    }

    public static readonly WholeUnlessLimited UsersPage = new(5000);

    /// <summary>Your programme's users by user name: all of them, or a page of limit at a time with ?after={the last user name} until a page has fewer.</summary>
    /// <param name="after">the user name of the last user of the previous page</param>
    /// <param name="limit">users per page, 1 to 5000 (without it, every user)</param>
    [HttpGet("users")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<IReadOnlyList<UserView>> UserList([FromQuery] string? after, [FromQuery, Limit(typeof(AccessController), nameof(UsersPage))] int? limit, CancellationToken ct)
    {
        var most = UsersPage.Of(limit);
        var users = Users.Administered(db, Caller);
        if (after is not null) users = users.Where(u => string.Compare(u.UserName, after) > 0);
        users = users.OrderBy(u => u.UserName);
        if (most is { } n) users = users.Take(n);
        return (await users.ToListAsync(ct)).Select(UserView.Of).ToList();
    }

    [HttpGet("users/{userId:long}")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<UserView> GetUser(long userId, CancellationToken ct) =>
        UserView.Of(await Users.FindAdministeredAsync(db, Caller, userId, ct));

    /// <summary>
    /// A user's API tokens, oldest first (as GET /me/tokens gives them to the user): 404 for a user outside your programme.
    /// </summary>
    [HttpGet("users/{userId:long}/tokens")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(IReadOnlyList<TokenView>), 200)]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    public async Task<IReadOnlyList<TokenView>> UserTokens(long userId, CancellationToken ct)
    {
        if (!await Users.Administered(db, Caller).AnyAsync(u => u.Id == userId, ct)) throw new NotFound("user", userId);
        return await ApiTokens.Of(db, userId).ToListAsync(ct);
    }

    /// <summary>
    /// Revokes one of a user's API tokens (a script's token copied where it should not be, say); it stops working at once. 404
    /// for a user outside your programme or a token not theirs; your own tokens you revoke as everyone does, with DELETE
    /// /api/v1/me/tokens/{id} (409 own-token here, as a reset of your own password is refused).
    /// </summary>
    [HttpDelete("users/{userId:long}/tokens/{id:long}")] // {id}, as me/tokens/{id}: OWASP's lint takes a "tokenId" in a path for a secret
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(204)]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    [ProducesResponseType(typeof(ProblemDetails), 409)]
    public async Task<IActionResult> RevokeUsersToken(long userId, long id, CancellationToken ct)
    {
        var (user, token) = await ApiTokens.AdministeredAsync(db, Caller, userId, id, ct);
        await ApiTokens.RevokeAsync(db, audit, tokens, token, user.ProgrammeId, ct);
        return NoContent();
    }

    /// <summary>
    /// Creates a user with one role and the scope that role needs (a school, an area or a programme), with a one-time
    /// password: the user chooses their own before they can do anything else. Without a password the service makes one
    /// and gives it in this answer only (oneTimePassword; Cache-Control: no-store), as the admin's page does; a password
    /// given is kept as the one-time password.
    /// </summary>
    [HttpPost("users")]
    [TakesNoIdempotencyKeyWith("password", Idempotency.HoldsAPasswordWhenGiven)]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(UserGivenPassword), 201)]
    public async Task<ActionResult<UserGivenPassword>> CreateUser(Users.NewUser request, CancellationToken ct)
    {
        var made = string.IsNullOrEmpty(request.Password) ? Passwords.Generate() : null;
        var user = await Users.CreateAsync(db, users, audit, Caller, made is null ? request : request with { Password = made }, madeByService: made is not null, ct);
        return Created($"/api/v1/users/{user.Id}", Given(user, made));
    }

    /// <summary>
    /// Gives a user a new one-time password (they forgot theirs, say): they choose their own again before anything else.
    /// Their page sessions end, their API tokens are revoked and a lockout is lifted. Without a password (or a body) the
    /// service makes one and gives it in this answer only (oneTimePassword; Cache-Control: no-store).
    /// </summary>
    [HttpPost("users/{userId:long}/password-reset")]
    [TakesNoIdempotencyKeyWith("password", Idempotency.HoldsAPasswordWhenGiven)]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<UserGivenPassword> ResetPassword(long userId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PasswordReset? request,
        CancellationToken ct)
    {
        var made = string.IsNullOrEmpty(request?.Password) ? Passwords.Generate() : null;
        return Given(await Passwords.ResetAsync(db, users, audit, tokens, Caller, userId, made ?? request!.Password, madeByService: made is not null, ct), made);
    }

    /// <summary>
    /// The user, with the one-time password the service made (if it did) in this answer and nowhere else: not in the
    /// answer an Idempotency-Key keeps, which says instead that it was given once and how to have another.
    /// </summary>
    private UserGivenPassword Given(AppUser user, string? made)
    {
        var answer = new UserGivenPassword(UserView.Of(user));
        if (made is null) return answer;
        Response.Headers.CacheControl = "no-store"; // as every answer (Security.cs); said again where a password is
        Idempotency.ReplayInstead(HttpContext, answer with
        {
            OneTimePasswordWithheld = "The one-time password was given once, in the first answer to this request, and is kept nowhere. "
                                      + $"To give the user another, reset their password: POST /api/v1/users/{user.Id}/password-reset.",
        });
        return answer with { OneTimePassword = made };
    }

    [HttpPost("users/{userId:long}/disable")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<UserView> Disable(long userId, CancellationToken ct) =>
        UserView.Of(await Users.SetDisabledAsync(db, audit, tokens, Caller, userId, true, ct));

    [HttpPost("users/{userId:long}/enable")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<UserView> Enable(long userId, CancellationToken ct) =>
        UserView.Of(await Users.SetDisabledAsync(db, audit, tokens, Caller, userId, false, ct));
}
