using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// "Are you sure", then the API's revocation of a user's token (<see cref="ApiTokens.RevokeAsync"/>): 404 for a user outside the
/// programme or a token not theirs; the admin's own token is theirs to revoke on their own page, as everyone does.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class RevokeTokenModel(GrantLedgerDb db, AuditTrail audit, ApiTokenCache tokens) : GovPage(db, audit)
{
    public UserRow Row { get; private set; } = null!;
    public TokenView Token { get; private set; } = null!;
    public bool IsCaller => Row.User.Id == Caller.Id;
    public bool Active => TokenTable.Active(Token, DateTimeOffset.UtcNow);

    protected override string? Reworded(Core.Rules.RuleBroken rule) =>
        rule.Rule == ApiTokens.OwnTokenRule ? "This is your own token: revoke it on your API tokens page" : null;

    private async Task LoadAsync(long id, long tokenId, CancellationToken ct)
    {
        Row = await UserRow.FindAsync(Db, Caller, id, ct);
        Token = await ApiTokens.Of(Db, id, tokenId).SingleOrDefaultAsync(ct) ?? throw new Core.Rules.NotFound("token", tokenId);
    }

    public Task OnGetAsync(long id, long tokenId, CancellationToken ct) => LoadAsync(id, tokenId, ct);

    public async Task<IActionResult> OnPostAsync(long id, long tokenId, CancellationToken ct)
    {
        await LoadAsync(id, tokenId, ct);
        if (!Active) return Page(); // revoked or expired since the page was shown: it says so
        if (!await AttemptAsync(async () =>
            {
                var (user, token) = await ApiTokens.AdministeredAsync(Db, Caller, id, tokenId, ct);
                await ApiTokens.RevokeAsync(Db, Audit, tokens, token, user.ProgrammeId, ct);
            }))
            return Page();
        SayDone($"{Row.User.DisplayName}'s token {Token.Name} ({Token.Prefix}…) is revoked: it no longer works");
        return Redirect($"/admin/users/{id}");
    }
}
