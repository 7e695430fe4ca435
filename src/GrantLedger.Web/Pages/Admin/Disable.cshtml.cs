using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>"Are you sure", then the API's disable (<see cref="Users.SetDisabledAsync"/>).</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class DisableModel(GrantLedgerDb db, AuditTrail audit, ApiTokenCache tokens) : GovPage(db, audit)
{
    public UserRow Row { get; private set; } = null!;

    protected override string? Reworded(Core.Rules.RuleBroken rule) => UserRow.Reworded(rule);

    public async Task OnGetAsync(long id, CancellationToken ct) => Row = await UserRow.FindAsync(Db, Caller, id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        Row = await UserRow.FindAsync(Db, Caller, id, ct);
        if (!await AttemptAsync(() => Users.SetDisabledAsync(Db, Audit, tokens, Caller, id, true, ct))) return Page();
        SayDone($"{Row.User.DisplayName} is disabled: they cannot sign in");
        return Redirect($"/admin/users/{id}");
    }
}
