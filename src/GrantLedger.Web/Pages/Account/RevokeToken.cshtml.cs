using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Account;

/// <summary>"Are you sure", then the API's revocation of one of your own tokens (<see cref="ApiTokens.RevokeAsync"/>), for those the API lets revoke.</summary>
[Authorize(Roles = Roles.Writers)]
public sealed class RevokeTokenModel(GrantLedgerDb db, AuditTrail audit, ApiTokenCache tokens) : GovPage(db, audit)
{
    public TokenView Token { get; private set; } = null!;
    public bool Active => TokenTable.Active(Token, DateTimeOffset.UtcNow);

    private async Task LoadAsync(long tokenId, CancellationToken ct) =>
        Token = await ApiTokens.Of(Db, Caller.Id, tokenId).SingleOrDefaultAsync(ct) ?? throw new Core.Rules.NotFound("token", tokenId);

    public Task OnGetAsync(long tokenId, CancellationToken ct) => LoadAsync(tokenId, ct);

    public async Task<IActionResult> OnPostAsync(long tokenId, CancellationToken ct)
    {
        await LoadAsync(tokenId, ct);
        if (!Active) return Page(); // revoked or expired since the page was shown: it says so
        if (!await AttemptAsync(async () =>
                await ApiTokens.RevokeAsync(Db, Audit, tokens, await ApiTokens.OwnAsync(Db, Caller, tokenId, ct), Caller.ProgrammeId, ct)))
            return Page();
        SayDone($"Your token {Token.Name} ({Token.Prefix}…) is revoked: it no longer works");
        return Redirect("/account/tokens");
    }
}
