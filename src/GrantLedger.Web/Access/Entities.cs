using Microsoft.AspNetCore.Identity;

namespace GrantLedger.Web.Access;

/// <summary>A person who signs in: one role, one scope (a school, an area, a programme or everything).</summary>
public sealed class AppUser : IdentityUser<long>
{
    public required string DisplayName { get; set; }
    public required string Role { get; set; }
    public long? ProgrammeId { get; set; }
    public long? AreaId { get; set; }
    public long? SchoolId { get; set; }
    public DateTimeOffset? DisabledAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// The password is one a programme admin gave (creating the user, or resetting their password): it lets its user do
    /// nothing but choose their own (<see cref="Passwords"/>).
    /// </summary>
    public bool MustChoosePassword { get; set; }
}

/// <summary>An API bearer token; only its SHA-256 is stored.</summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Name { get; set; }
    public required byte[] TokenHash { get; set; }
    public required string Prefix { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>The role names (defined once, in the core, beside the workflows that grant rows to them).</summary>
public static class Roles
{
    public const string SchoolBusinessManager = Core.Workflow.Role.SchoolBusinessManager;
    public const string AreaLead = Core.Workflow.Role.AreaLead;
    public const string ProgrammeAdmin = Core.Workflow.Role.ProgrammeAdmin;
    public const string FunderFinance = Core.Workflow.Role.FunderFinance;
    public const string Auditor = Core.Workflow.Role.Auditor;

    public static readonly IReadOnlyList<string> All = Core.Workflow.Role.All;

    // Role lists for [Authorize(Roles = ...)]
    public const string Staff = ProgrammeAdmin + "," + FunderFinance + "," + Auditor;
    public const string Everyone = SchoolBusinessManager + "," + AreaLead + "," + Staff;
    /// <summary>Every role but the auditor, who writes nothing anywhere (not even their own tokens: they sign in for one).</summary>
    public const string Writers = SchoolBusinessManager + "," + AreaLead + "," + ProgrammeAdmin + "," + FunderFinance;

    public static string Describe(string role) => role switch
    {
        SchoolBusinessManager => "school business manager",
        AreaLead => "area lead",
        ProgrammeAdmin => "programme admin",
        FunderFinance => "funder finance",
        Auditor => "auditor",
        _ => role,
    };
}
