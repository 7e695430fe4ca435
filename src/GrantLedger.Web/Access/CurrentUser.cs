using System.Globalization;
using System.Security.Claims;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Programmes;

namespace GrantLedger.Web.Access;

/// <summary>
/// The signed-in user's role and scope, read from their claims (the same claims whether they came
/// with a cookie or a bearer token), and the scope checks every use case makes.
/// </summary>
public sealed record CurrentUser(long Id, string UserName, string Role, long? ProgrammeId, long? AreaId, long? SchoolId)
{
    public const string ProgrammeClaim = "gl:programme";
    public const string AreaClaim = "gl:area";
    public const string SchoolClaim = "gl:school";
    /// <summary>Signed in with a one-time password: nothing may be done but choose one's own (<see cref="OneTimePasswords"/>).</summary>
    public const string MustChoosePasswordClaim = "gl:must-choose-password";

    public static IEnumerable<Claim> ClaimsOf(AppUser user)
    {
        yield return new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture));
        yield return new Claim(ClaimTypes.Name, user.UserName ?? "");
        yield return new Claim(ClaimTypes.Role, user.Role);
        if (user.ProgrammeId is { } p) yield return new Claim(ProgrammeClaim, p.ToString(CultureInfo.InvariantCulture));
        if (user.AreaId is { } a) yield return new Claim(AreaClaim, a.ToString(CultureInfo.InvariantCulture));
        if (user.SchoolId is { } s) yield return new Claim(SchoolClaim, s.ToString(CultureInfo.InvariantCulture));
        if (user.MustChoosePassword) yield return new Claim(MustChoosePasswordClaim, "true");
    }

    public static CurrentUser From(ClaimsPrincipal principal)
    {
        static long? Id(ClaimsPrincipal p, string type) =>
            p.FindFirst(type)?.Value is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;
        return new CurrentUser(
            Id(principal, ClaimTypes.NameIdentifier) ?? throw new Forbidden("sign in first"),
            principal.FindFirst(ClaimTypes.Name)?.Value ?? "",
            principal.FindFirst(ClaimTypes.Role)?.Value ?? "",
            Id(principal, ProgrammeClaim), Id(principal, AreaClaim), Id(principal, SchoolClaim));
    }

    /// <summary>Sees every programme: auditors, and programme admins not tied to one programme.</summary>
    public bool SeesAllProgrammes => Role == Roles.Auditor || (Role == Roles.ProgrammeAdmin && ProgrammeId is null);

    public bool CanSeeProgramme(long programmeId) => SeesAllProgrammes || ProgrammeId == programmeId;

    /// <summary>Programme-wide roles see every area and school of their programme.</summary>
    public bool SeesWholeProgramme(long programmeId) =>
        CanSeeProgramme(programmeId) && Role is Roles.ProgrammeAdmin or Roles.FunderFinance or Roles.Auditor;

    public bool CanSeeArea(long programmeId, long areaId) =>
        SeesWholeProgramme(programmeId) || (Role == Roles.AreaLead && AreaId == areaId);

    public bool CanSeeSchool(School school) =>
        SeesWholeProgramme(school.ProgrammeId)
        || (Role == Roles.AreaLead && AreaId == school.AreaId)
        || (Role == Roles.SchoolBusinessManager && SchoolId == school.Id);

    public void EnsureProgramme(long programmeId)
    {
        if (!CanSeeProgramme(programmeId)) throw new Forbidden("your account is not scoped to this programme");
    }

    /// <summary>For set-up and finance actions across a programme: not area leads or schools.</summary>
    public void EnsureWholeProgramme(long programmeId)
    {
        if (!SeesWholeProgramme(programmeId)) throw new Forbidden("this needs programme-wide access to this programme");
    }

    public void EnsureArea(long programmeId, long areaId)
    {
        if (!CanSeeArea(programmeId, areaId)) throw new Forbidden("your account is not scoped to this area");
    }

    public void EnsureSchool(School school)
    {
        if (!CanSeeSchool(school)) throw new Forbidden("your account is not scoped to this school");
    }
}
