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
/// changes (disabled and enabled again, a new password), or when its role or scope no longer match what the cookie
/// carries, whoever changed them; and, however busy, <see cref="HoursSetting"/> after signing in (12 by default: a
/// working day; the cookie's own 8 hours are counted from the last request). The person is sent to sign in again, and
/// the cookie is removed.
/// </summary>
public static class CookieSessions
{
    public const string HoursSetting = "GrantLedger:Access:SessionHours";

    /// <summary>How many minutes before a page session ends every page says when it will (10 by default).</summary>
    public const string WarningMinutesSetting = "GrantLedger:Access:SessionWarningMinutes";

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

    /// <summary>What every page says of its session's end: when, and from when it shows (<see cref="WarningMinutesSetting"/> before).</summary>
    public sealed record Ending(DateTimeOffset At, DateTimeOffset WarnFrom, double Hours);

    public static Ending? EndingOf(ClaimsPrincipal principal, IConfiguration configuration) =>
        EndsAt(principal, configuration) is { } at
            ? new Ending(at, at.AddMinutes(-(configuration.GetValue<double?>(WarningMinutesSetting) ?? 10)), Hours(configuration))
            : null;

    /// <summary>What a session may reach: its user, role and scope.</summary>
    private static HashSet<(string, string)> Access(IEnumerable<Claim> claims) =>
        claims.Where(c => c.Type is ClaimTypes.NameIdentifier or ClaimTypes.Role or CurrentUser.ProgrammeClaim or CurrentUser.AreaClaim or CurrentUser.SchoolClaim)
            .Select(c => (c.Type, c.Value)).ToHashSet();
}
