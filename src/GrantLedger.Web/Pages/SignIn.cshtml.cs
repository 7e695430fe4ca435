using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace GrantLedger.Web.Pages;

/// <summary>
/// Cookie sign-in for the same users as the API, with the same lockout (5 wrong passwords, 15 minutes) and the same
/// limit of attempts from one address, counted together with the API's token requests. A one-time password from a
/// programme admin signs in only to choose one's own password (<see cref="Account.PasswordModel"/>).
/// </summary>
[EnableRateLimiting(Security.SignInPolicy)]
public sealed class SignInModel(GrantLedgerDb db, AuditTrail audit, SignInManager<AppUser> signIn) : GovPage(db, audit)
{
    public string ReturnUrl { get; private set; } = "/";

    public void OnGet(string? returnUrl) => ReturnUrl = ReturnTo(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? userName, string? password, string? returnUrl, CancellationToken ct)
    {
        ReturnUrl = ReturnTo(returnUrl);
        if (string.IsNullOrWhiteSpace(userName)) AddError("userName", "Enter your user name");
        if (string.IsNullOrEmpty(password)) AddError("password", "Enter your password");
        if (HasErrors) return Page();

        var (user, result) = await PasswordCheck.CheckAsync(HttpContext, userName!, password!);
        if (!result.Succeeded)
        {
            Audit.Record(AuditAction.SignInFailed, user?.Id, user?.ProgrammeId, new { userName, via = "web", locked = result.IsLockedOut }, actor: null);
            await Db.SaveChangesAsync(ct);
            AddError("userName", result.IsLockedOut
                ? "Too many wrong passwords: this account is locked for 15 minutes"
                : "The user name or password is not right");
            return Page();
        }
        await signIn.SignInAsync(user!, isPersistent: false);
        Audit.Record(AuditAction.SignInSucceeded, user!.Id, user.ProgrammeId, new { via = "web", oneTimePassword = user.MustChoosePassword }, user);
        await Db.SaveChangesAsync(ct);
        // with a one-time password, only to choose one's own (OneTimePasswords), then on to where they were going
        return LocalRedirect(user.MustChoosePassword ? $"{OneTimePasswords.ChoosePath}?returnUrl={Uri.EscapeDataString(ReturnUrl)}" : ReturnUrl);
    }
}
