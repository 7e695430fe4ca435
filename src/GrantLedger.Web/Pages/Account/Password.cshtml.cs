using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace GrantLedger.Web.Pages.Account;

/// <summary>
/// Choosing one's own password in place of a one-time password from a programme admin (until then every other page
/// leads here: <see cref="OneTimePasswords"/>), or changing it: the current password, the new one twice. The API's use
/// case (<see cref="Passwords.ChooseAsync"/>); the change ends the account's page sessions, so this one starts afresh.
/// </summary>
[EnableRateLimiting(Security.SignInPolicy)]
public sealed class PasswordModel(GrantLedgerDb db, AuditTrail audit, UserManager<AppUser> users, SignInManager<AppUser> signIn) : GovPage(db, audit)
{
    /// <summary>Signed in with a one-time password: choosing, not changing.</summary>
    public bool Choosing => OneTimePasswords.MustChoose(User);

    public bool Changed { get; private set; }
    public string ReturnUrl { get; private set; } = "/";
    public int Least => users.Options.Password.RequiredLength;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["newPassword"] = "Your new password" };

    public void OnGet(string? returnUrl, bool changed = false) => (ReturnUrl, Changed) = (ReturnTo(returnUrl), changed && !Choosing);

    public async Task<IActionResult> OnPostAsync(string? currentPassword, string? newPassword, string? confirmPassword, string? returnUrl,
        CancellationToken ct)
    {
        ReturnUrl = ReturnTo(returnUrl);
        var choosing = Choosing;
        var current = choosing ? "one-time password" : "current password";
        if (string.IsNullOrEmpty(currentPassword)) AddError("currentPassword", $"Enter your {current}");
        if (string.IsNullOrEmpty(newPassword)) AddError("newPassword", "Enter a new password");
        else if (Passwords.Problem(newPassword, users) is { } problem) AddError("newPassword", Sentence("newPassword", problem));
        else if (newPassword == currentPassword) AddError("newPassword", $"Your new password must be different from your {current}");
        if (string.IsNullOrEmpty(confirmPassword)) AddError("confirmPassword", "Confirm your new password");
        else if (!string.IsNullOrEmpty(newPassword) && confirmPassword != newPassword) AddError("confirmPassword", "The passwords you entered do not match");

        // Not the use case, rolled back, beside the form's own errors as other pages do: it would tell whether the current
        // password is right without counting a wrong one towards the lockout (the count rolls back with it).
        if (HasErrors) return Page();
        AppUser? user = null;
        if (!await AttemptAsync(async () =>
                user = await Passwords.ChooseAsync(HttpContext, Db, users, Audit, Caller.UserName, currentPassword, newPassword, "web", signedIn: true, ct)))
            return Page();
        await signIn.SignInAsync(user!, isPersistent: false); // the change ended every session of the account, this one too
        return choosing ? LocalRedirect(ReturnUrl) : Redirect(OneTimePasswords.ChoosePath + "?changed=true");
    }
}
