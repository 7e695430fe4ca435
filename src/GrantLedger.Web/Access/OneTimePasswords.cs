using GrantLedger.Core.Rules;
using GrantLedger.Web.Pages;

namespace GrantLedger.Web.Access;

/// <summary>
/// Someone signed in with a one-time password (<see cref="Passwords"/>) may only choose their own: every other page
/// sends them to the page where they do (<see cref="ChoosePath"/>), and the API refuses them with 403
/// <see cref="Rule"/>. The sign-in page leads them there; no API token is issued to them (<see cref="AccessController"/>,
/// and migration 0064 underneath).
/// </summary>
public static class OneTimePasswords
{
    public const string Rule = "password-change-required";

    /// <summary>The page where a user chooses their password, or changes it.</summary>
    public const string ChoosePath = "/account/password";

    public const string HowToChoose =
        "Your password is a one-time password from your programme admin: choose your own first, at /account/password after signing in, "
        + "or with POST /api/v1/auth/password {\"userName\", \"currentPassword\", \"newPassword\"}.";

    // what someone who must choose may still reach: the page itself, signing out, their session's end, and the error pages
    private static readonly string[] Open = [ChoosePath, "/sign-out", CookieSessions.StatusPath, "/problem", "/forbidden", "/unavailable"];

    public static bool MustChoose(System.Security.Claims.ClaimsPrincipal user) => user.HasClaim(c => c.Type == CurrentUser.MustChoosePasswordClaim);

    /// <summary>After authentication, before authorization.</summary>
    public static WebApplication UseOneTimePasswords(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            if (!MustChoose(http.User) || Open.Any(p => path.StartsWithSegments(p)))
            {
                await next();
                return;
            }
            if (path.StartsWithSegments("/api")) throw new RuleBroken(Rule, HowToChoose, 403);
            if (!PagesSetup.IsPageRequest(http.Request))
            {
                await next(); // the API's description and the health checks, which are public
                return;
            }
            var back = HttpMethods.IsGet(http.Request.Method) && path != "/" ? "?returnUrl=" + Uri.EscapeDataString(path + http.Request.QueryString) : "";
            http.Response.Redirect(ChoosePath + back);
        });
        return app;
    }
}
