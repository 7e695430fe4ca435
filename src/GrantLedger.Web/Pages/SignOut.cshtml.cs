using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages;

/// <summary>
/// Signing out ends every page session of the account, not only this browser's: the security stamp changes, so a copy
/// of the cookie (another browser, a shared computer's other window, a stolen one) is refused at its next request
/// (<see cref="CookieSessions"/>). The account's API tokens are not touched; they are revoked on their own.
/// </summary>
public sealed class SignOutModel(GrantLedgerDb db, AuditTrail audit, UserManager<AppUser> users, SignInManager<AppUser> signIn) : GovPage(db, audit)
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is { } user)
        {
            Audit.Record(AuditAction.SignedOut, user.Id, user.ProgrammeId, new { via = "web" }, user);
            var stamped = await users.UpdateSecurityStampAsync(user); // saves the audit event with it, in one transaction
            if (!stamped.Succeeded)
                throw new InvalidOperationException("the account's page sessions could not be ended: " + string.Join("; ", stamped.Errors.Select(e => e.Description)));
        }
        await signIn.SignOutAsync();
        return Redirect("/sign-in");
    }
}
