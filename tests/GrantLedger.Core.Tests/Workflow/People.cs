using GrantLedger.Core.Workflow;

namespace GrantLedger.Core.Tests.Workflow;

/// <summary>The cast of the workflow tests: one in scope and one out of scope per acting role.</summary>
public static class People
{
    public static readonly Actor SchoolManager = new(1, Role.SchoolBusinessManager, InScope: true);
    public static readonly Actor OtherSchoolManager = new(2, Role.SchoolBusinessManager, InScope: false);
    public static readonly Actor AreaLead = new(3, Role.AreaLead, InScope: true);
    public static readonly Actor OtherAreaLead = new(4, Role.AreaLead, InScope: false);
    public static readonly Actor Admin = new(5, Role.ProgrammeAdmin, InScope: true);
    public static readonly Actor OtherAdmin = new(6, Role.ProgrammeAdmin, InScope: false);
    public static readonly Actor Finance = new(7, Role.FunderFinance, InScope: true);
    public static readonly Actor SecondFinance = new(8, Role.FunderFinance, InScope: true);
    public static readonly Actor OtherFinance = new(9, Role.FunderFinance, InScope: false);
    public static readonly Actor Auditor = new(10, Role.Auditor, InScope: true);

    public static readonly Actor[] Everyone =
        [SchoolManager, OtherSchoolManager, AreaLead, OtherAreaLead, Admin, OtherAdmin, Finance, SecondFinance, OtherFinance, Auditor];

    /// <summary>One in-scope actor per role, for the "who may do what now" tables.</summary>
    public static readonly Actor[] OnePerRole = [SchoolManager, AreaLead, Admin, Finance, Auditor];

    public static string Names<TTrigger>(IEnumerable<TTrigger> triggers) where TTrigger : struct, Enum =>
        string.Join(", ", triggers.Select(t => Kebab.Of(t)));
}
