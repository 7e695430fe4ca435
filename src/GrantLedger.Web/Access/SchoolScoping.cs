using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

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

    /// <summary>
    /// A list's filters name a programme, area or school the caller may see, else 403, as a read of its own records is: a
    /// filter outside the caller's scope had answered an empty list, which a script cannot tell from "nothing there". An id
    /// that is no programme's, area's or school's finds nothing, as before.
    /// </summary>
    public static async Task EnsureFiltersInScopeAsync(GrantLedgerDb db, CurrentUser caller, long? programmeId, long? areaId, long? schoolId,
        CancellationToken ct)
    {
        if (programmeId is { } p) caller.EnsureProgramme(p);
        if (areaId is { } a && await db.Areas.AsNoTracking().SingleOrDefaultAsync(x => x.Id == a, ct) is { } area) caller.EnsureArea(area.ProgrammeId, area.Id);
        if (schoolId is { } s && await db.Schools.AsNoTracking().SingleOrDefaultAsync(x => x.Id == s, ct) is { } school) caller.EnsureSchool(school);
    }
}
