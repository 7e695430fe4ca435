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
    public sealed record SchoolChange([property: MaxText(Schools.MostName)] string? Name, [property: MaxText(Schools.MostPhase)] string? Phase);

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
        var name = r.Name is null ? null : errors.Text("name", r.Name, Schools.MostName);
        var phase = r.Phase is null ? null : errors.Text("phase", r.Phase, Schools.MostPhase);
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            // locked, so that the values the audit event says were replaced are those that were
            var school = await db.Schools.FromSqlInterpolated($"SELECT * FROM school WHERE id = {schoolId} FOR UPDATE").SingleAsync(ct);
            var (nameBefore, phaseBefore) = (school.Name, school.Phase);
            school.Name = name ?? school.Name;
            school.Phase = phase ?? school.Phase;
            if (school.Name == nameBefore && school.Phase == phaseBefore) return school;
            audit.Record("school.changed", "school", school.Id, school.ProgrammeId,
                new Changed(school.Urn, nameBefore, school.Name, phaseBefore, school.Phase));
            await db.SaveChangesAsync(ct);
            if (school.Name != nameBefore) await RenameAccountsAsync(db, schoolId: school.Id, categoryId: null, ct);
            return school;
        }, ct);
    }

    public static async Task<Area> ChangeAreaAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long areaId, NameChange r,
        CancellationToken ct)
    {
        var found = await db.Areas.AsNoTracking().SingleOrDefaultAsync(a => a.Id == areaId, ct) ?? throw new NotFound("area", areaId);
        await SetUp.RequireProgrammeAdminAsync(db, caller, found.ProgrammeId, ct);
        var errors = new FieldErrors();
        var name = errors.Text("name", r.Name, SetUp.MostName);
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            var area = await db.Areas.FromSqlInterpolated($"SELECT * FROM area WHERE id = {areaId} FOR UPDATE").SingleAsync(ct);
            if (area.Name == name) return area;
            // as when one is added: two areas of a programme never share a name (PostgreSQL's UNIQUE (programme_id, name) too)
            if (await db.Areas.AnyAsync(a => a.ProgrammeId == area.ProgrammeId && a.Id != areaId && a.Name == name, ct))
                throw new RuleBroken("area-exists", $"the programme already has an area named '{name}'", 409, "name");
            var before = area.Name;
            area.Name = name!;
            audit.Record("area.changed", "area", area.Id, area.ProgrammeId, new Changed(area.Code, before, area.Name));
            await db.SaveChangesAsync(ct);
            return area;
        }, ct);
    }

    public static async Task<BudgetCategory> ChangeCategoryAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long categoryId,
        NameChange r, CancellationToken ct)
    {
        var found = await db.Categories.AsNoTracking().SingleOrDefaultAsync(c => c.Id == categoryId, ct)
                    ?? throw new NotFound("budget category", categoryId);
        await SetUp.RequireProgrammeAdminAsync(db, caller, found.ProgrammeId, ct);
        // as when one is added: categories are told apart by code, so two may share a name
        var errors = new FieldErrors();
        var name = errors.Text("name", r.Name, SetUp.MostName);
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            var category = await db.Categories.FromSqlInterpolated($"SELECT * FROM budget_category WHERE id = {categoryId} FOR UPDATE").SingleAsync(ct);
            if (category.Name == name) return category;
            var before = category.Name;
            category.Name = name!;
            audit.Record("category.changed", "budget_category", category.Id, category.ProgrammeId, new Changed(category.Code, before, category.Name));
            await db.SaveChangesAsync(ct);
            await RenameAccountsAsync(db, schoolId: null, categoryId: category.Id, ct);
            return category;
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
