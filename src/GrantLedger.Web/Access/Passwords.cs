using GrantLedger.Core.Rules;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Access;

/// <summary>
/// A password is known to its user alone. One a programme admin gives (creating a user, or <see cref="ResetAsync"/>) is a
/// one-time password: with it its user can do nothing but choose their own (<see cref="ChooseAsync"/>,
/// <see cref="OneTimePasswords"/>), so that an admin who made two finance users does not know the passwords that build
/// and approve a payment run. Everyone changes their own password the same way, saying their current one.
/// </summary>
public static class Passwords
{
    public const int MaxLength = 128;

    /// <summary>The rule for every password, given or chosen: Identity's length (12) at least, and at most 128 characters.</summary>
    public static void Check(FieldErrors errors, string field, string? password, UserManager<AppUser> users)
    {
        if (Problem(password, users) is { } problem) errors.Add(field, problem);
    }

    /// <summary>
    /// What is wrong with a password, or null. Spaces alone are no password: the sign-in page, like any form, reads a
    /// field of spaces as left blank, so a password of spaces would work only through the API.
    /// </summary>
    public static string? Problem(string? password, UserManager<AppUser> users)
    {
        var least = users.Options.Password.RequiredLength;
        if (string.IsNullOrWhiteSpace(password)) return "is required (spaces alone are not a password)";
        if (password.Length < least) return $"must be at least {least} characters";
        return password.Length > MaxLength ? $"must be at most {MaxLength} characters" : null;
    }

    /// <summary>
    /// The user named chooses a new password, saying their current one (the one-time password, or the one they chose
    /// before). The current one is checked as a sign-in checks it (<see cref="PasswordCheck"/>: wrong ones count towards
    /// the lockout and the address's limit). Every page session of the account ends (the security stamp changes); its
    /// API tokens are not touched. Audited as user.password-chosen (in place of a one-time password) or
    /// user.password-changed, with who and from where, never the password.
    /// </summary>
    /// <param name="via">"api" or "web", for the audit trail</param>
    /// <param name="signedIn">the caller is signed in as the user: a wrong current password is 422, else 401 (as signing in)</param>
    public static async Task<AppUser> ChooseAsync(HttpContext http, GrantLedgerDb db, UserManager<AppUser> users, AuditTrail audit,
        string? userName, string? currentPassword, string? newPassword, string via, bool signedIn, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(userName)) errors.Add("userName", "is required");
        if (string.IsNullOrEmpty(currentPassword)) errors.Add("currentPassword", "is required");
        Check(errors, "newPassword", newPassword, users);
        if (!errors.Any && newPassword == currentPassword) errors.Add("newPassword", "must be different from your current password");
        errors.ThrowIfAny();

        var (user, result) = await PasswordCheck.CheckAsync(http, userName!, currentPassword!);
        if (!result.Succeeded)
        {
            audit.Record(AuditAction.SignInFailed, user?.Id, user?.ProgrammeId,
                new { userName, via, locked = result.IsLockedOut, choosingPassword = true }, actor: null);
            await db.SaveChangesAsync(ct);
            throw new RuleBroken(result.IsLockedOut ? "account-locked" : "wrong-password", result.IsLockedOut
                ? "Too many wrong passwords: the account is locked for 15 minutes."
                : signedIn ? "Your current password is not right." : "The user name or password is wrong.",
                signedIn ? 422 : 401, "currentPassword");
        }

        var chosen = user!.MustChoosePassword;
        user.PasswordHash = users.PasswordHasher.HashPassword(user, newPassword!);
        user.MustChoosePassword = false;
        Restamp(user);
        audit.Record(chosen ? AuditAction.PasswordChosen : AuditAction.PasswordChanged, user.Id, user.ProgrammeId, new { via }, user);
        await db.SaveChangesAsync(ct); // the user and the event together: SaveChanges is one transaction
        http.RequestServices.GetRequiredService<ApiTokenCache>().Forget(user.Id); // here at once; other instances by the notice
        return user;
    }

    /// <summary>
    /// A programme admin gives a user a new one-time password (they forgot theirs, say): the user must choose their own
    /// again, every page session of theirs ends, every API token of theirs is revoked, and a lockout is lifted.
    /// </summary>
    /// <param name="tokens">told at once that the user's tokens are revoked; other instances learn it by the database's notice</param>
    public static async Task<AppUser> ResetAsync(GrantLedgerDb db, UserManager<AppUser> users, AuditTrail audit, ApiTokenCache tokens,
        CurrentUser caller, long userId, string? password, bool madeByService, CancellationToken ct)
    {
        var user = await Users.FindAdministeredAsync(db, caller, userId, ct);
        var errors = new FieldErrors();
        Check(errors, "password", password, users);
        errors.ThrowIfAny();
        if (user.Id == caller.Id)
            throw new RuleBroken("cannot-reset-own-password", "you cannot reset your own password: change it with POST /api/v1/me/password", 409);

        await db.InTransactionAsync(async () =>
        {
            user.PasswordHash = users.PasswordHasher.HashPassword(user, password!);
            user.MustChoosePassword = true;
            (user.LockoutEnd, user.AccessFailedCount) = (null, 0);
            Restamp(user);
            // the user's row first: a token being issued at this moment waits for it, then is refused (migration 0064)
            await db.SaveChangesAsync(ct);
            var now = await db.NowAsync(ct); // the reset's audit event's time
            var revoked = await db.ApiTokens.Where(t => t.UserId == user.Id && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            audit.Record(AuditAction.PasswordReset, user.Id, user.ProgrammeId, new { tokensRevoked = revoked, oneTimePasswordMadeBy = MadeBy(madeByService) });
            await db.SaveChangesAsync(ct);
            return user;
        }, ct);
        tokens.Forget(user.Id); // here at once; other instances when the database's notice reaches them
        return user;
    }

    /// <summary>Who made a one-time password, as the audit events say it: "service" (no one knows it but its user and the
    /// answer that gave it) or "admin" (typed by the admin, through the API).</summary>
    public static string MadeBy(bool service) => service ? "service" : "admin";

    private const string Readable = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: read aloud or copied by hand without doubt

    /// <summary>What <see cref="Generate"/> makes, as the OpenAPI document says it.</summary>
    public const string GeneratedPattern = "^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$";

    /// <summary>
    /// A one-time password for a programme admin to give: four groups of four letters and digits ("k7mq-x3vh-9trp-c4wn"), each
    /// drawn from a CSPRNG without bias: 16 characters of 31 (about 79 bits), longer than <see cref="Check"/> asks.
    /// </summary>
    public static string Generate() =>
        string.Join('-', Enumerable.Range(0, 4).Select(_ =>
            new string(Enumerable.Range(0, 4).Select(_ => Readable[System.Security.Cryptography.RandomNumberGenerator.GetInt32(Readable.Length)]).ToArray())));

    /// <summary>A new security stamp ends the account's page sessions (<see cref="CookieSessions"/>); a new concurrency stamp
    /// makes a change read before this one fail rather than undo it.</summary>
    private static void Restamp(AppUser user)
    {
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        user.ConcurrencyStamp = Guid.NewGuid().ToString();
    }
}
