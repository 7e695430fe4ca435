using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages;

/// <summary>
/// A user's API tokens as the pages show them (_ApiTokens): on the programme admin's page of the user and on the user's own
/// /account/tokens, the list GET /me/tokens and GET /users/{id}/tokens give (<see cref="ApiTokens.Of"/>).
/// </summary>
/// <param name="Name">the user's name on an admin's page; null on the user's own</param>
/// <param name="RevokeAt">where an active token's Revoke link leads, given its id; null where the reader may not revoke</param>
public sealed record TokenTable(IReadOnlyList<TokenView> Tokens, string? Name, Func<long, string>? RevokeAt, DateTimeOffset Now)
{
    public static async Task<TokenTable> OfAsync(GrantLedgerDb db, long userId, string? name, Func<long, string>? revokeAt, CancellationToken ct) =>
        new(await ApiTokens.Of(db, userId).ToListAsync(ct), name, revokeAt, DateTimeOffset.UtcNow);

    public string Caption => $"{(Name is null ? "Your" : Name + "'s")} API tokens, oldest first";
    public string NoneYet => $"{(Name is null ? "You have" : Name + " has")} no API tokens.";

    public static bool Active(TokenView t, DateTimeOffset now) => t.RevokedAt is null && t.ExpiresAt > now;

    /// <summary>Active, expired, or revoked and when: a revoked token says so though it has expired since.</summary>
    public static string Status(TokenView t, DateTimeOffset now) =>
        t.RevokedAt is { } revoked ? $"Revoked on {When(revoked)}" : t.ExpiresAt <= now ? "Expired" : "Active";

    public static string When(DateTimeOffset at) => UkTime.Of(at).ToString("d MMM yyyy HH:mm");
}

/// <summary>A token about to be revoked, for the confirmation both pages share (_RevokeToken).</summary>
/// <param name="Name">the token's user's name on an admin's page; null on the user's own</param>
public sealed record TokenRevocation(TokenView Token, string? Name);
