using System.Text.Json.Serialization;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>
/// A programme admin corrects what was typed when a school, an area or a category was added: a school's name (misspelt, or
/// renamed on joining a trust) and phase, an area's or a category's name. What identifies the record stays: a school's URN
/// and area, an area's code, a category's code, kind and unit. Each change is checked as adding one is and audited with
/// the old values and the new. The ledger's accounts of a school or a category are named after both
/// (<c>Chart.SchoolAccount</c>: "Hill Primary: Staff cover available 2026-27"); their names follow the change, a label
/// the database lets change (account_identity_fixed, migration 0044), while their codes, and so every amount, stay.
/// </summary>
public static class Corrections
{
    /// <param name="Name">the school's name; left as it is when not given</param>
    /// <param name="Phase">its phase of education; left as it is when not given</param>
    public sealed record SchoolChange([property: MaxText(Schools.MostName)] string? Name, [property: OneOf(typeof(Schools), nameof(Schools.Phases))] string? Phase);

    /// <param name="Name">the area's or the category's name</param>
    public sealed record NameChange([property: MaxText(SetUp.MostName)] string? Name);

    /// <summary>An audit event's details: what the record was called and is called now (and, for a school, its phase).</summary>
    private sealed record Changed(string Code, string Before, string After,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhaseBefore = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhaseAfter = null);

    public static async Task<School> ChangeSchoolAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long schoolId, SchoolChange r,
        CancellationToken ct)
    {
        var found = await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId, ct) ?? throw new NotFound("school", schoolId);
        await SetUp.RequireProgrammeAdminAsync(db, caller, found.ProgrammeId, ct);
        // the rules of Schools.AddAsync; two schools of a programme may share a name (only the URN is the school's own)
        var errors = new FieldErrors();
        var name = r.Name is null ? null : Schools.KeptName(errors, r.Name);
        var phase = r.Phase is null ? null : Schools.KeptPhase(errors, r.Phase);
        errors.ThrowIfAny();
        // a school enrolled before phases were GIAS's (migration 0097) keeps its own until it is changed, and then needs one
        if (phase is null && Schools.PhaseNamed(found.Phase) is null)
            throw new InvalidInput("phase", $"is '{found.Phase}', which is not a phase of education: give one of {string.Join(", ", Schools.Phases)}");

        return await db.InTransactionAsync(async () =>
        {
            // locked, so that the values the audit event says were replaced are those that were
            var school = await db.Schools.FromSqlInterpolated($"SELECT * FROM school WHERE id = {schoolId} FOR UPDATE").SingleAsync(ct);
            var (nameBefore, phaseBefore) = (school.Name, school.Phase);
            school.Name = name ?? school.Name;
            school.Phase = phase ?? school.Phase;
            if (school.Name == nameBefore && school.Phase == phaseBefore) return school;
            audit.Record(AuditAction.SchoolChanged, school.Id, school.ProgrammeId,
                new Changed(school.Urn, nameBefore, school.Name, phaseBefore, school.Phase));
            await db.SaveChangesAsync(ct);
            if (school.Name != nameBefore) await RenameAccountsAsync(db, schoolId: school.Id, categoryId: null, ct);
            return school;
        }, ct);
    }

    public static Task<Area> ChangeAreaAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long areaId, NameChange r,
        CancellationToken ct) =>
        RenameAsync(db, audit, caller, db.Areas, db.Areas.FromSqlInterpolated($"SELECT * FROM area WHERE id = {areaId} FOR UPDATE"),
            new("area", AuditAction.AreaChanged), areaId, r, ct,
            check: async (area, name) =>
            {
                // as when one is added: two areas of a programme never share a name, case and spaces aside (PostgreSQL's
                // UNIQUE (programme_id, name) holds it exactly)
                SetUp.CheckAreaName(
                    await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == area.ProgrammeId && a.Id != areaId).Select(a => a.Name).ToListAsync(ct), name);
            });

    /// <remarks>As when one is added, two categories of a programme never share a name, nor is one named by another's code.</remarks>
    public static Task<BudgetCategory> ChangeCategoryAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long categoryId,
        NameChange r, CancellationToken ct) =>
        RenameAsync(db, audit, caller, db.Categories, db.Categories.FromSqlInterpolated($"SELECT * FROM budget_category WHERE id = {categoryId} FOR UPDATE"),
            new("budget category", AuditAction.CategoryChanged), categoryId, r, ct,
            check: async (category, name) => SetUp.CheckCategoryName(
                await db.Categories.AsNoTracking().Where(c => c.ProgrammeId == category.ProgrammeId && c.Id != categoryId).ToListAsync(ct), name),
            renamed: category => RenameAccountsAsync(db, schoolId: null, categoryId: category.Id, ct));

    /// <param name="Noun">what a request for one that is not there is told is not found</param>
    /// <param name="Action">the audit event's action (and record type: the record's table)</param>
    private sealed record Kind(string Noun, AuditAction Action);

    /// <summary>
    /// Renames an area or a category, as the programme's admin: the name checked as when one is added; the row read
    /// <paramref name="locked"/> (FOR UPDATE), so that the name the audit event says was replaced is the one that was; then
    /// <paramref name="check"/> (a rule the new name must keep), the change and its audit event, and <paramref name="renamed"/>
    /// (what follows the name: the ledger's accounts).
    /// </summary>
    private static async Task<T> RenameAsync<T>(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, DbSet<T> records, IQueryable<T> locked,
        Kind kind, long id, NameChange r, CancellationToken ct, Func<T, string, Task>? check = null, Func<T, Task>? renamed = null) where T : class, INamedByAdmin
    {
        var found = await records.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFound(kind.Noun, id);
        await SetUp.RequireProgrammeAdminAsync(db, caller, found.ProgrammeId, ct);
        var errors = new FieldErrors();
        var name = errors.Text("name", r.Name, SetUp.MostName)!;
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            var record = await locked.SingleAsync(ct);
            if (record.Name == name) return record;
            if (check is not null) await check(record, name);
            var before = record.Name;
            record.Name = name;
            audit.Record(kind.Action, record.Id, record.ProgrammeId, new Changed(record.Code, before, record.Name));
            await db.SaveChangesAsync(ct);
            if (renamed is not null) await renamed(record);
            return record;
        }, ct);
    }

    /// <summary>
    /// Names a school's or a category's accounts again as <c>Chart.SchoolAccount</c> names them ("{school}: {category} {leaf}
    /// {year}", the leaf being the code's last part): only the name, which the database lets change; codes and amounts stay.
    /// The rows are locked in id order first, as a posting locks its accounts (ledger_apply_transfers), so that a rename and
    /// a posting wait for each other rather than deadlock.
    /// </summary>
    private static Task<int> RenameAccountsAsync(GrantLedgerDb db, long? schoolId, long? categoryId, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            WITH locked AS (
                SELECT id FROM account WHERE school_id = {schoolId} OR category_id = {categoryId} ORDER BY id FOR NO KEY UPDATE
            )
            UPDATE account a
               SET name = s.name || ': ' || c.name || ' ' || substring(a.code FROM '[^:]+$') || ' ' || y.code
              FROM locked l, school s, budget_category c, programme_year y
             WHERE a.id = l.id AND a.school_id = s.id AND a.category_id = c.id AND a.programme_year_id = y.id
            """, ct);
}
