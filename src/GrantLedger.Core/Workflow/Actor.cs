namespace GrantLedger.Core.Workflow;

/// <summary>
/// The role names a lifecycle row is granted to: the same strings the host stores on a user
/// (GrantLedger.Web.Access.Roles), repeated here because the core cannot see the host.
/// </summary>
public static class Role
{
    public const string SchoolBusinessManager = "school_business_manager";
    public const string AreaLead = "area_lead";
    public const string ProgrammeAdmin = "programme_admin";
    public const string FunderFinance = "funder_finance";
    public const string Auditor = "auditor";

    public static readonly IReadOnlyList<string> All = [SchoolBusinessManager, AreaLead, ProgrammeAdmin, FunderFinance, Auditor];
}

/// <summary>
/// Who is asking. <paramref name="InScope"/> is the host's scope check for this record: the record's
/// school is the actor's school (school business manager), lies in the actor's area (area lead),
/// or belongs to the actor's programme (programme admin, funder finance).
/// </summary>
public sealed record Actor(long UserId, string Role, bool InScope);

/// <summary>What every lifecycle's context carries: the actor, whose role picks the rows.</summary>
public interface IWorkflowContext
{
    Actor Actor { get; }
}

/// <summary>
/// The scope guards. All three read <see cref="Actor.InScope"/> (the host has already worked out
/// scope for the actor's role); the names say what scope means on the row that uses them.
/// </summary>
public static class Scope<TContext> where TContext : IWorkflowContext
{
    public static readonly Guard<TContext> OwnSchool =
        Guard<TContext>.Scope("own-school", "your account is not scoped to this school", c => c.Actor.InScope);

    public static readonly Guard<TContext> OwnArea =
        Guard<TContext>.Scope("own-area", "your account is not scoped to this school's area", c => c.Actor.InScope);

    public static readonly Guard<TContext> OwnProgramme =
        Guard<TContext>.Scope("own-programme", "your account is not scoped to this programme", c => c.Actor.InScope);
}
