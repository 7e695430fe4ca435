using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Web.Access;

/// <summary>A record that belongs to one school of one programme: a claim, an action plan.</summary>
public interface ISchoolRecord
{
    long SchoolId { get; }
    long ProgrammeId { get; }
}

public static class SchoolScoping
{
    /// <summary>The records the caller may see: their school's, their area's, or their programme's (every programme for auditors).</summary>
    public static IQueryable<T> VisibleTo<T>(this IQueryable<T> records, GrantLedgerDb db, CurrentUser caller) where T : class, ISchoolRecord =>
        caller.Role switch
        {
            Roles.SchoolBusinessManager => records.Where(r => r.SchoolId == caller.SchoolId),
            Roles.AreaLead => records.Where(r => db.Schools.Any(s => s.Id == r.SchoolId && s.AreaId == caller.AreaId)),
            _ when caller.SeesAllProgrammes => records,
            _ => records.Where(r => r.ProgrammeId == caller.ProgrammeId),
        };
}
