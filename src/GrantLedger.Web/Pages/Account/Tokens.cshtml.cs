using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Account;

/// <summary>
/// Your own API tokens (GET /api/v1/me/tokens), each active one with a Revoke link for those who may revoke them as the API
/// lets them (DELETE /api/v1/me/tokens/{id}: every role but the auditor, who writes nothing), and a link to issue one
/// (<see cref="NewTokenModel"/>) for the same roles.
/// </summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class TokensModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public TokenTable Tokens { get; private set; } = null!;
    /// <summary>Issues and revokes their own tokens, as the API lets them (Roles.Writers).</summary>
    public bool MayRevoke => Roles.Writers.Split(',').Contains(Caller.Role);

    public async Task OnGetAsync(CancellationToken ct) =>
        Tokens = await TokenTable.OfAsync(Db, Caller.Id, null, MayRevoke ? token => $"/account/tokens/{token}/revoke" : null, ct);
}
