using GrantLedger.Core.Rules;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Access;

/// <param name="MustChoosePassword">their password is a one-time password a programme admin gave: they have not chosen their own yet</param>
public record UserView(long Id, string UserName, string DisplayName, string? Email, string Role, long? ProgrammeId, long? AreaId,
    long? SchoolId, bool Disabled, DateTimeOffset? LockedUntil, bool MustChoosePassword)
{
    public static UserView Of(AppUser u) => new(u.Id, u.UserName!, u.DisplayName, u.Email, u.Role, u.ProgrammeId, u.AreaId, u.SchoolId,
        u.DisabledAt is not null, u.LockoutEnd > DateTimeOffset.UtcNow ? u.LockoutEnd : null, u.MustChoosePassword);
}

/// <summary>
/// A user created, or their password reset, by the API. When the admin gave no password the service made the one-time
/// password (four groups of four letters and digits, from a CSPRNG) and gives it in this answer only (oneTimePassword): a repeat of the
/// request with its Idempotency-Key is answered without it, saying why (oneTimePasswordWithheld).
/// </summary>
public sealed record UserGivenPassword : UserView
{
    public UserGivenPassword(UserView user) : base(user) { }

    /// <summary>The one-time password the service made, for the admin to pass on: in the first answer only (absent when the admin gave the password)</summary>
    [MaxText(19, Pattern = Passwords.GeneratedPattern)]
    public string? OneTimePassword { get; init; }

    /// <summary>In a repeat's answer (same Idempotency-Key) only: the one-time password was given in the first answer, is kept nowhere, and a reset makes another</summary>
    public string? OneTimePasswordWithheld { get; init; }

    public override string ToString() => $"UserGivenPassword {{ Id = {Id} }}"; // a record prints its password else, wherever it is logged
}

/// <summary>
/// Creating users with a role and a scope, and switching them off. Programme admins manage their own programme's users. The
/// password a new user is given is a one-time password: they choose their own before anything else (<see cref="Passwords"/>).
/// </summary>
public static class Users
{
    public sealed record NewUser([property: MaxText(NewUser.MostUserName)] string? UserName, [property: MaxText(NewUser.MostDisplayName)] string? DisplayName,
        [property: MaxText(NewUser.MostEmail)] string? Email, [property: MaxText(Passwords.MaxLength)] string? Password,
        [property: OneOf(typeof(Roles), nameof(Roles.All))] string? Role,
        long? ProgrammeId, long? AreaId, long? SchoolId)
    {
        public const int MostUserName = 100, MostDisplayName = 200, MostEmail = 256;

        // MVC logs an action's arguments at Trace by their ToString: no password
        public override string ToString() =>
            $"NewUser {{ UserName = {UserName}, Role = {Role}, ProgrammeId = {ProgrammeId}, AreaId = {AreaId}, SchoolId = {SchoolId}, Password given = {Password is not null} }}";
    }

    /// <summary>
    /// An address mail could be sent to: one name@domain with a dot in the domain, nothing around it ("notanemail" and
    /// "Jo &lt;jo@school.org.uk&gt;" are not), where any text was kept as the user's email.
    /// </summary>
    private static bool IsEmailAddress(string text) =>
        System.Net.Mail.MailAddress.TryCreate(text, out var address) && address.Address == text && address.DisplayName.Length == 0
        && address.Host.Contains('.') && !address.Host.StartsWith('.') && !address.Host.EndsWith('.');

    /// <summary>A role above one area or school is given neither, rather than have one it names kept nowhere without a word.</summary>
    private static void NoAreaOrSchool(FieldErrors errors, NewUser r, string why)
    {
        if (r.AreaId is not null) errors.Add("areaId", $"{why}: leave the area out");
        if (r.SchoolId is not null) errors.Add("schoolId", $"{why}: leave the school out");
    }

    /// <param name="madeByService">the one-time password was made by the service (<see cref="Passwords.Generate"/>), not typed
    /// by the admin, who then does not know it: the audit event says which</param>
    public static async Task<AppUser> CreateAsync(GrantLedgerDb db, UserManager<AppUser> users, AuditTrail audit, CurrentUser caller,
        NewUser r, bool madeByService, CancellationToken ct)
    {
        var errors = new FieldErrors();
        errors.Text("userName", r.UserName, NewUser.MostUserName);
        var displayName = errors.Text("displayName", r.DisplayName, NewUser.MostDisplayName);
        var email = errors.Text("email", r.Email, NewUser.MostEmail, required: false);
        if (email is not null && !IsEmailAddress(email)) errors.Add("email", "must be an email address, like jo.bloggs@school.org.uk, or left out");
        if (r.Role is null || !Roles.All.Contains(r.Role)) errors.Add("role", "must be one of " + string.Join(", ", Roles.All));
        if (string.IsNullOrEmpty(r.Password)) errors.Add("password", "is required");
        errors.ThrowIfAny();

        // The scope must fit the role, and lie inside the caller's own programme.
        long? programmeId = r.ProgrammeId, areaId = null, schoolId = null;
        switch (r.Role)
        {
            // the school's or area's programme is the user's: one named beside it must be that one, not quietly replaced by it
            // (a user asked for one programme was made in another), and an area named beside a school must be the school's
            case Roles.SchoolBusinessManager:
                var school = r.SchoolId is { } sid ? await db.Schools.FindAsync([sid], ct) : null;
                if (school is null)
                    errors.Add("schoolId", r.SchoolId is null ? "a school business manager needs the school they work for" : $"there is no school {r.SchoolId}");
                else if (r.ProgrammeId is { } asked && asked != school.ProgrammeId)
                    errors.Add("schoolId", $"school {school.Id} is not a school of programme {asked}");
                else if (r.AreaId is { } named && named != school.AreaId)
                    errors.Add("areaId", $"school {school.Id} is not in area {named}: a school business manager's area is their school's, so leave it out");
                else (programmeId, schoolId) = (school.ProgrammeId, school.Id);
                break;
            case Roles.AreaLead:
                var area = r.AreaId is { } aid ? await db.Areas.FindAsync([aid], ct) : null;
                if (area is null) errors.Add("areaId", r.AreaId is null ? "an area lead needs the area they lead" : $"there is no area {r.AreaId}");
                else if (r.ProgrammeId is { } asked && asked != area.ProgrammeId)
                    errors.Add("areaId", $"area {area.Id} is not an area of programme {asked}");
                else if (r.SchoolId is not null)
                    errors.Add("schoolId", "an area lead leads an area, not a school: leave it out");
                else (programmeId, areaId) = (area.ProgrammeId, area.Id);
                break;
            case Roles.FunderFinance:
                if (r.ProgrammeId is null || !await db.Programmes.AnyAsync(p => p.Id == r.ProgrammeId, ct))
                    errors.Add("programmeId", "funder finance users need the programme they pay for");
                NoAreaOrSchool(errors, r, "funder finance users pay for the whole programme");
                break;
            case Roles.ProgrammeAdmin:
                if (r.ProgrammeId is { } pid && !await db.Programmes.AnyAsync(p => p.Id == pid, ct)) errors.Add("programmeId", "no such programme");
                NoAreaOrSchool(errors, r, "programme admins run the whole programme");
                break;
            case Roles.Auditor:
                if (r.ProgrammeId is not null) errors.Add("programmeId", "auditors read every programme: leave the programme out");
                NoAreaOrSchool(errors, r, "auditors read everything");
                programmeId = null;
                break;
        }
        errors.ThrowIfAny();
        if (caller.Role != Roles.ProgrammeAdmin || (caller.ProgrammeId is not null && caller.ProgrammeId != programmeId))
            throw new Forbidden("programme admins create users for their own programme; only an admin of every programme creates auditors and admins of every programme");
        Passwords.Check(errors, "password", r.Password, users); // the one rule for every password, given or chosen
        errors.ThrowIfAny();

        var user = new AppUser
        {
            UserName = r.UserName!.Trim().ToLowerInvariant(), DisplayName = displayName!, Email = email,
            Role = r.Role!, ProgrammeId = programmeId, AreaId = areaId, SchoolId = schoolId, LockoutEnabled = true, MustChoosePassword = true,
        };
        return await db.InTransactionAsync(async () =>
        {
            var result = await users.CreateAsync(user, r.Password!);
            if (!result.Succeeded)
            {
                var duplicate = result.Errors.Any(e => e.Code == "DuplicateUserName");
                if (duplicate) throw new RuleBroken("user-name-taken", $"the user name '{user.UserName}' is taken", 409, "userName");
                throw new InvalidInput(result.Errors.GroupBy(e => e.Code.Contains("Password") ? "password" : "userName")
                    .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
            }
            audit.Record(AuditAction.UserCreated, user.Id, programmeId,
                new { user.UserName, user.DisplayName, user.Role, user.ProgrammeId, user.AreaId, user.SchoolId, user.MustChoosePassword,
                    oneTimePasswordMadeBy = Passwords.MadeBy(madeByService) });
            await db.SaveChangesAsync(ct);
            return user;
        }, ct);
    }

    /// <summary>Users the caller administers: all (admin of every programme), or their programme's.</summary>
    public static IQueryable<AppUser> Administered(GrantLedgerDb db, CurrentUser caller)
    {
        if (caller.Role != Roles.ProgrammeAdmin) throw new Forbidden("only programme admins manage users");
        var all = db.Users.AsNoTracking();
        return caller.ProgrammeId is null ? all : all.Where(u => u.ProgrammeId == caller.ProgrammeId);
    }

    /// <summary>A user the caller administers, to change: 404 for none, 403 for one outside the caller's programme.</summary>
    public static async Task<AppUser> FindAdministeredAsync(GrantLedgerDb db, CurrentUser caller, long userId, CancellationToken ct)
    {
        var visible = await Administered(db, caller).AnyAsync(u => u.Id == userId, ct);
        var user = await db.Users.FindAsync([userId], ct) ?? throw new NotFound("user", userId);
        if (!visible) throw new Forbidden("that user is outside your programme");
        return user;
    }

    /// <summary>Disables (or re-enables) a user: their tokens and sign-ins stop working at once.</summary>
    /// <param name="tokens">told at once, either way; other instances learn it by the database's notice</param>
    public static async Task<AppUser> SetDisabledAsync(GrantLedgerDb db, AuditTrail audit, ApiTokenCache tokens, CurrentUser caller, long userId,
        bool disabled, CancellationToken ct)
    {
        var user = await FindAdministeredAsync(db, caller, userId, ct);
        if (user.Id == caller.Id) throw new RuleBroken("cannot-disable-self", "you cannot disable your own account", 409);
        await db.InTransactionAsync(async () =>
        {
            user.DisabledAt = disabled ? await db.NowAsync(ct) : null; // the time of its audit event
            user.SecurityStamp = Guid.NewGuid().ToString("N"); // ends cookie sessions
            audit.Record(disabled ? AuditAction.UserDisabled : AuditAction.UserEnabled, user.Id, user.ProgrammeId);
            await db.SaveChangesAsync(ct);
        }, ct);
        tokens.Forget(user.Id);
        return user;
    }
}
