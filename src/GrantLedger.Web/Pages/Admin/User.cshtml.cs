using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>A user of the programme: who they are, their status, and their API tokens, and what the admin may do (reset, disable, enable, revoke a token).</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class UserModel(GrantLedgerDb db, AuditTrail audit, ApiTokenCache tokens) : GovPage(db, audit)
{
    public UserRow Row { get; private set; } = null!;
    public DateTimeOffset? LastSignIn { get; private set; }
    public TokenTable Tokens { get; private set; } = null!;
    public bool IsCaller => Row.User.Id == Caller.Id;

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        Row = await UserRow.FindAsync(Db, Caller, id, ct);
        LastSignIn = await Db.AuditEvents.AsNoTracking()
            .Where(e => e.RecordType == AuditAction.SignInSucceeded.RecordType && e.RecordId == id && e.Action == AuditAction.SignInSucceeded.Name).MaxAsync(e => (DateTimeOffset?)e.OccurredAt, ct);
        // your own tokens you revoke on your own page, as everyone does (ApiTokens.AdministeredAsync)
        Tokens = await TokenTable.OfAsync(Db, id, Row.User.DisplayName, IsCaller ? null : token => $"/admin/users/{id}/tokens/{token}/revoke", ct);
    }

    protected override string? Reworded(Core.Rules.RuleBroken rule) => UserRow.Reworded(rule);

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostEnableAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        if (await AttemptAsync(() => Users.SetDisabledAsync(Db, Audit, tokens, Caller, id, false, ct)))
        {
            SayDone($"{Row.User.DisplayName} is enabled: they can sign in again");
            return Redirect($"/admin/users/{id}");
        }
        return Page();
    }
}
