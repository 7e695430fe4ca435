using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace GrantLedger.Web.Access;

/// <summary>
/// The password check both sign-ins make (the API's token request and the sign-in page), with Identity's lockout (five
/// wrong passwords, 15 minutes). For a user name that does not exist, or an account that is disabled, a password is
/// hashed all the same: the answer takes as long as a wrong password for a real account, so its timing does not tell
/// anyone which user names exist (the answer's words already do not).
/// </summary>
public static class PasswordCheck
{
    private static readonly AppUser Nobody = new() { DisplayName = "", Role = "" };
    private static string? nobodysHash;

    /// <returns>the account the user name names, if any, and whether the password signs it in</returns>
    /// <exception cref="GrantLedger.Core.Rules.RuleBroken">429 when the client's address has failed too often (<see cref="SignInFailures"/>)</exception>
    public static async Task<(AppUser? User, SignInResult Result)> CheckAsync(HttpContext http, string userName, string password)
    {
        var failures = http.RequestServices.GetRequiredService<SignInFailures>();
        failures.Begin(http);
        var (user, result) = (default(AppUser), SignInResult.Failed);
        try
        {
            (user, result) = await CheckPasswordAsync(http.RequestServices, userName, password);
        }
        catch
        {
            failures.GiveBack(http); // not a failed sign-in: the check itself failed (the database unavailable, say)
            throw;
        }
        if (result.Succeeded) failures.GiveBack(http);
        return (user, result);
    }

    private static async Task<(AppUser? User, SignInResult Result)> CheckPasswordAsync(IServiceProvider services, string userName, string password)
    {
        var users = services.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByNameAsync(userName.Trim());
        if (user is not null && user.DisabledAt is null)
            return (user, await services.GetRequiredService<SignInManager<AppUser>>().CheckPasswordSignInAsync(user, password, lockoutOnFailure: true));
        nobodysHash ??= users.PasswordHasher.HashPassword(Nobody, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        users.PasswordHasher.VerifyHashedPassword(Nobody, nobodysHash, password);
        return (user, SignInResult.Failed);
    }
}
