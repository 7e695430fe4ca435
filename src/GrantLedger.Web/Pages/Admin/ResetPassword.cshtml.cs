using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// "Are you sure", then the API's reset (<see cref="Passwords.ResetAsync"/>) with a one-time password the service makes, shown
/// once in the answer to the post.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ResetPasswordModel(GrantLedgerDb db, AuditTrail audit, UserManager<AppUser> users, ApiTokenCache tokens) : GovPage(db, audit)
{
    public UserRow Row { get; private set; } = null!;
    public string? OneTimePassword { get; private set; }

    protected override string? Reworded(Core.Rules.RuleBroken rule) =>
        rule.Rule == "cannot-reset-own-password" ? "You cannot reset your own password: change it from your account's page, saying your current one" : null;

    public async Task OnGetAsync(long id, CancellationToken ct) => Row = await UserRow.FindAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        Row = await UserRow.FindAsync(Db, Caller, id, ct);
        var password = Passwords.Generate();
        if (await AttemptAsync(() => Passwords.ResetAsync(Db, users, Audit, tokens, Caller, id, password, madeByService: true, ct)))
        {
            OneTimePassword = password;
            Response.Headers.CacheControl = "no-store"; // as every answer here (Security.cs); said again where a password is
        }
        return Page();
    }
}
