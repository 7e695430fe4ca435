using System.Security.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace GrantLedger.Web.Access;

/// <summary>
/// A page session (the sign-in cookie, <see cref="AccessSetup"/>) is checked against its account on every request, as an
/// API token is (<see cref="ApiTokenHandler"/>): it ends when the account is disabled or locked, when its security stamp
/// changes (disabled and enabled again, a new password, a password reset), or when its role or scope, or whether its
/// password is a one-time password (<see cref="OneTimePasswords"/>), no longer match what the cookie carries, whoever changed them; after <see cref="IdleMinutesSetting"/> without a request (30 by default); and, however
/// busy, <see cref="HoursSetting"/> after signing in (12 by default: a working day). The person is sent to sign in again,
/// and the cookie is removed. Every page says when its session will end, from <see cref="WarningMinutesSetting"/> before,
/// and offers to keep it (<see cref="MapPageSessions"/>) when it is ending for want of use.
/// </summary>
public static class CookieSessions
{
    public const string HoursSetting = "GrantLedger:Access:SessionHours";

    /// <summary>How many minutes before a page session ends every page says when it will (10 by default).</summary>
    public const string WarningMinutesSetting = "GrantLedger:Access:SessionWarningMinutes";

    /// <summary>
    /// How many minutes without a request end a page session (30 by default): the sign-in cookie's own lifetime, renewed
    /// by every request but the page's own check of when it ends (<see cref="StatusPath"/>).
    /// </summary>
    public const string IdleMinutesSetting = "GrantLedger:Access:IdleMinutes";

    /// <summary>
    /// Where a page asks when its session ends (GET, which does not count as using it) and keeps it (POST, with the page's
    /// antiforgery token), answered in JSON: <see cref="Status"/>, or 401 once it has ended.
    /// </summary>
    public const string StatusPath = "/session";

    public static TimeSpan Idle(IConfiguration configuration) => TimeSpan.FromMinutes(Math.Max(0.01, configuration.GetValue<double?>(IdleMinutesSetting) ?? 30));

    /// <summary>When the session signed in, in Unix milliseconds.</summary>
    private const string SignedInAtClaim = "gl:signed-in-at";

    public static Claim SignedInNow() =>
        new(SignedInAtClaim, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

    // only the columns the checks need, compiled once (a page request reads them before anything else)
    private static readonly Func<GrantLedgerDb, long, CancellationToken, Task<AppUser?>> AccountNow = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long id, CancellationToken ct) => db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new AppUser
        {
            Id = u.Id, UserName = u.UserName, DisplayName = u.DisplayName, Role = u.Role, ProgrammeId = u.ProgrammeId, AreaId = u.AreaId,
            SchoolId = u.SchoolId, DisabledAt = u.DisabledAt, LockoutEnd = u.LockoutEnd, SecurityStamp = u.SecurityStamp,
            MustChoosePassword = u.MustChoosePassword,
        }).SingleOrDefault());

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var http = context.HttpContext;
        var principal = context.Principal!;
        AppUser? account;
        try
        {
            account = long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
                ? await AccountNow(http.RequestServices.GetRequiredService<GrantLedgerDb>(), id, http.RequestAborted)
                : null;
        }
        catch (Exception e) when (ProblemAnswers.IsDatabaseUnavailable(e))
        {
            // The session stands unchecked: with the database gone nothing can be read or changed, and the page that says so
            // (/unavailable) needs none; ending it would sign everyone out at every outage.
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var stampClaim = http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var stands = account is not null
                     && account.DisabledAt is null && !(account.LockoutEnd > now)                        // as an API token's account
                     && account.SecurityStamp == principal.FindFirstValue(stampClaim)                     // not signed out or disabled since
                     && Access(principal.Claims).SetEquals(Access(CurrentUser.ClaimsOf(account)))        // the same user, role and scope
                     && EndsAt(principal, http.RequestServices.GetRequiredService<IConfiguration>()) > now; // within its hours
        if (stands) return;
        context.RejectPrincipal();
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
    }

    /// <summary>When the page session ends, however busy: its signing-in time and <see cref="HoursSetting"/>; null without one.</summary>
    public static DateTimeOffset? EndsAt(ClaimsPrincipal principal, IConfiguration configuration) =>
        long.TryParse(principal.FindFirstValue(SignedInAtClaim), out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms).AddHours(Hours(configuration)) : null;

    private static double Hours(IConfiguration configuration) => configuration.GetValue<double?>(HoursSetting) ?? 12;

    /// <summary>
    /// What every page says of its session's end: when, from when it shows (<see cref="WarningMinutesSetting"/> before), and
    /// whether it comes for want of use (then it can be kept) or at the end of its hours.
    /// </summary>
    public sealed record Ending(DateTimeOffset At, DateTimeOffset WarnFrom, double Hours, bool Idle, double IdleMinutes);

    /// <summary>The session's end as it stands after this request, which has renewed its idle minutes.</summary>
    public static Ending? EndingOf(ClaimsPrincipal principal, IConfiguration configuration) =>
        EndingOf(principal, configuration, DateTimeOffset.UtcNow + Idle(configuration));

    private static Ending? EndingOf(ClaimsPrincipal principal, IConfiguration configuration, DateTimeOffset idleEnd)
    {
        if (EndsAt(principal, configuration) is not { } hoursEnd) return null;
        var idle = idleEnd < hoursEnd;
        var at = idle ? idleEnd : hoursEnd;
        return new Ending(at, at.AddMinutes(-(configuration.GetValue<double?>(WarningMinutesSetting) ?? 10)), Hours(configuration), idle,
            Idle(configuration).TotalMinutes);
    }

    /// <summary>
    /// Every request renews the cookie's idle minutes in full, not only once half have passed (as the cookie's own sliding
    /// does), so that a session ends exactly its idle minutes after its last request, as the pages say; a page's check of
    /// when that is does not count as using it.
    /// </summary>
    public static Task CheckSlidingExpiration(CookieSlidingExpirationContext context)
    {
        context.ShouldRenew = !IsStatusCheck(context.Request);
        return Task.CompletedTask;
    }

    private static bool IsStatusCheck(HttpRequest request) => HttpMethods.IsGet(request.Method) && request.Path == StatusPath;

    /// <summary>What a page's script is told of its session (<see cref="StatusPath"/>): milliseconds from now, and the UK's clock time.</summary>
    public sealed record Status(long EndsIn, long WarnIn, string At, bool Idle);

    private static Status StatusOf(Ending ending, DateTimeOffset now) => new(
        Math.Max(0, (long)(ending.At - now).TotalMilliseconds), Math.Max(0, (long)(ending.WarnFrom - now).TotalMilliseconds),
        Core.Ledger.UkTime.Of(ending.At).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), ending.Idle);

    /// <summary>
    /// <see cref="StatusPath"/>: a page's script asks when its session ends before it warns (another tab may have used the
    /// session since the page was made), and keeps the session when asked to ("Stay signed in").
    /// </summary>
    public static WebApplication MapPageSessions(this WebApplication app)
    {
        app.MapGet(StatusPath, async (HttpContext http, IConfiguration configuration) =>
        {
            var signedIn = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
            return signedIn is { Succeeded: true, Properties.ExpiresUtc: { } idleEnd } && EndingOf(signedIn.Principal, configuration, idleEnd) is { } ending
                ? Results.Json(StatusOf(ending, DateTimeOffset.UtcNow))
                : Ended();
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(StatusPath, async (HttpContext http, IConfiguration configuration, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery) =>
        {
            var signedIn = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
            if (!signedIn.Succeeded || EndingOf(signedIn.Principal, configuration) is not { } ending) return Ended(); // renewed by this request
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Request", type: ProblemAnswers.RuleTypeBase + "antiforgery",
                    detail: "The page's antiforgery token is missing or not this session's: load the page again.");
            return Results.Json(StatusOf(ending, DateTimeOffset.UtcNow));
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>The session has ended (no-store, as every answer: <c>Security.cs</c>).</summary>
    private static IResult Ended() =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", type: ProblemAnswers.RuleTypeBase + "signed-out",
            detail: "This page's session has ended: sign in again.");

    /// <summary>What a session may reach: its user, role and scope, and whether only the choice of a password.</summary>
    private static HashSet<(string, string)> Access(IEnumerable<Claim> claims) =>
        claims.Where(c => c.Type is ClaimTypes.NameIdentifier or ClaimTypes.Role or CurrentUser.ProgrammeClaim or CurrentUser.AreaClaim or CurrentUser.SchoolClaim
                              or CurrentUser.MustChoosePasswordClaim)
            .Select(c => (c.Type, c.Value)).ToHashSet();
}
