using System.Text.RegularExpressions;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>Creating a programme and the areas and budget categories it is organised by.</summary>
public static partial class SetUp
{
    public sealed record NewProgramme([property: MaxText(30, Pattern = ProgrammeCodePattern)] string? Code, [property: MaxText(MostName)] string? Name, [property: MaxText(MostName)] string? Funder,
        [property: OneOf(typeof(SetUp), nameof(AreaKinds))] string? AreaKind, Money? SecondApprovalThreshold);

    /// <summary>What a programme's areas are: London's boroughs, or the integrated care boards (PINS).</summary>
    public static readonly string[] AreaKinds = ["borough", "icb"];

    /// <summary>The most characters of a programme's, a funder's, an area's or a category's name.</summary>
    public const int MostName = 200;
    /// <param name="ClearSecondApprovalThreshold">true to stop requiring second approvals</param>
    public sealed record ProgrammeChange([property: MaxText(MostName)] string? Name, [property: MaxText(MostName)] string? Funder, Money? SecondApprovalThreshold, bool? ClearSecondApprovalThreshold);
    public sealed record NewArea([property: MaxText(40, Pattern = AreaCodePattern)] string? Code, [property: MaxText(MostName)] string? Name);
    /// <param name="Unit">GBP for money, MIN for a time allowance (its kind decides it: may be left out)</param>
    public sealed record NewCategory([property: MaxText(40, Pattern = CategoryCodePattern)] string? Code, [property: MaxText(MostName)] string? Name,
        [property: OneOf(typeof(Core.Ledger.Units), nameof(Core.Ledger.Units.Codes))] string? Unit, [property: OneOf(typeof(CategoryKinds), nameof(CategoryKinds.All))] string? Kind);

    public const string ProgrammeCodePattern = "^[a-z][a-z0-9-]{1,29}$", AreaCodePattern = "^[a-z0-9][a-z0-9-]{0,39}$",
        CategoryCodePattern = "^[a-z][a-z0-9-]{1,39}$";
    [GeneratedRegex(ProgrammeCodePattern + Patterns.AtTheEnd)] private static partial Regex ProgrammeCode();
    [GeneratedRegex(AreaCodePattern + Patterns.AtTheEnd)] private static partial Regex AreaCode();
    [GeneratedRegex(CategoryCodePattern + Patterns.AtTheEnd)] private static partial Regex CategoryCode();

    public static async Task<Programme> CreateProgrammeAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, NewProgramme r,
        CancellationToken ct)
    {
        if (!(caller.Role == Roles.ProgrammeAdmin && caller.ProgrammeId is null))
            throw new Forbidden("only a programme admin not tied to one programme can create programmes");
        var errors = new FieldErrors();
        if (r.Code is null || !ProgrammeCode().IsMatch(r.Code)) errors.Add("code", "must be 2-30 lower-case letters, digits or hyphens, starting with a letter");
        r = r with { Name = errors.Text("name", r.Name, MostName), Funder = errors.Text("funder", r.Funder, MostName) }; // as kept, and audited
        if (r.AreaKind is not null && !AreaKinds.Contains(r.AreaKind)) errors.Add("areaKind", "must be 'borough' or 'icb'");
        if (r.SecondApprovalThreshold is { IsPositive: false }) errors.Add("secondApprovalThreshold", "must be more than zero");
        errors.ThrowIfAny();
        if (await db.Programmes.AnyAsync(p => p.Code == r.Code, ct))
            throw new RuleBroken("programme-code-taken", $"a programme with code '{r.Code}' already exists", 409, "code");

        var programme = new Programme
        {
            Code = r.Code!, Name = r.Name!, Funder = r.Funder!, AreaKind = r.AreaKind ?? "borough",
            SecondApprovalThresholdPence = r.SecondApprovalThreshold?.Pence,
        };
        return await SaveWithAuditAsync(db, audit, programme, () => (AuditAction.ProgrammeCreated, programme.Id, programme.Id, r), ct);
    }

    /// <summary>Renames a programme or its funder, or sets the amount at which claims need a second approval.</summary>
    public static async Task<Programme> ChangeProgrammeAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId,
        ProgrammeChange r, CancellationToken ct)
    {
        var programme = await RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var errors = new FieldErrors();
        var name = r.Name is null ? null : errors.Text("name", r.Name, MostName);
        var funder = r.Funder is null ? null : errors.Text("funder", r.Funder, MostName);
        if (r.SecondApprovalThreshold is { IsPositive: false }) errors.Add("secondApprovalThreshold", "must be more than zero");
        if (r.SecondApprovalThreshold is not null && r.ClearSecondApprovalThreshold == true)
            errors.Add("clearSecondApprovalThreshold", "either set a threshold or clear it, not both");
        errors.ThrowIfAny();
        var before = ProgrammeView.Of(programme);
        programme.Name = name ?? programme.Name;
        programme.Funder = funder ?? programme.Funder;
        if (r.SecondApprovalThreshold is { } t) programme.SecondApprovalThresholdPence = t.Pence;
        if (r.ClearSecondApprovalThreshold == true) programme.SecondApprovalThresholdPence = null;
        audit.Record(AuditAction.ProgrammeChanged, programme.Id, programme.Id, new { before, after = ProgrammeView.Of(programme) });
        await db.SaveChangesAsync(ct);
        return programme;
    }

    public static async Task<Area> AddAreaAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewArea r,
        CancellationToken ct)
    {
        await RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var errors = new FieldErrors();
        if (r.Code is null || !AreaCode().IsMatch(r.Code)) errors.Add("code", "must be 1-40 lower-case letters, digits or hyphens");
        r = r with { Name = errors.Text("name", r.Name, MostName) }; // as kept, and audited
        errors.ThrowIfAny();
        var areas = await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).Select(a => new { a.Code, a.Name }).ToListAsync(ct);
        if (areas.Any(a => a.Code == r.Code))
            throw new RuleBroken("area-exists", $"the programme already has an area with code '{r.Code}'", 409, "code");
        CheckAreaName(areas.Select(a => a.Name), r.Name!);
        var area = new Area { ProgrammeId = programmeId, Code = r.Code!, Name = r.Name! };
        return await SaveWithAuditAsync(db, audit, area, () => (AuditAction.AreaCreated, area.Id, programmeId, r), ct);
    }

    public static async Task<BudgetCategory> AddCategoryAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId,
        NewCategory r, CancellationToken ct)
    {
        await RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var errors = new FieldErrors();
        if (r.Code is null || !CategoryCode().IsMatch(r.Code)) errors.Add("code", "must be 2-40 lower-case letters, digits or hyphens, starting with a letter");
        r = r with { Name = errors.Text("name", r.Name, MostName) }; // as kept, and audited
        if (r.Kind is null || !CategoryKinds.All.Contains(r.Kind)) errors.Add("kind", "must be one of " + string.Join(", ", CategoryKinds.All));
        var unit = r.Kind == CategoryKinds.TimeAllowance ? "MIN" : "GBP";
        if (r.Unit is not null && r.Unit != unit)
            errors.Add("unit", r.Kind == CategoryKinds.TimeAllowance ? "a time allowance is counted in minutes (MIN)" : "money categories are in GBP");
        errors.ThrowIfAny();
        var others = await db.Categories.AsNoTracking().Where(c => c.ProgrammeId == programmeId).ToListAsync(ct);
        if (others.FirstOrDefault(c => c.Code == r.Code || SameName(c.Name, r.Code!)) is { } coded)
            throw new RuleBroken("category-exists", coded.Code == r.Code ? $"the programme already has a category '{r.Code}'"
                : $"the programme's category '{coded.Code}' is named '{coded.Name}': a code another category is named by would be read as that one in imports", 409, "code");
        CheckCategoryName(others, r.Name!);
        var category = new BudgetCategory { ProgrammeId = programmeId, Code = r.Code!, Name = r.Name!, Unit = unit, Kind = r.Kind! };
        return await SaveWithAuditAsync(db, audit, category, () => (AuditAction.CategoryCreated, category.Id, programmeId, r), ct);
    }

    /// <summary>
    /// Two names told apart as people tell them apart: case and the space around and within them aside ("Staff-time cover" and
    /// " staff-time  COVER" are one name). Areas and categories are chosen by name on the pages and in imports, so two of a
    /// programme never share one this way.
    /// </summary>
    internal static bool SameName(string a, string b) => string.Equals(Spaced(a), Spaced(b), StringComparison.OrdinalIgnoreCase);

    private static string Spaced(string name) => string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>An area's name, refused (409 area-exists, naming name) when another area of the programme has it (<see cref="SameName"/>).</summary>
    /// <param name="others">the names of the programme's other areas</param>
    internal static void CheckAreaName(IEnumerable<string> others, string name)
    {
        if (others.FirstOrDefault(n => SameName(n, name)) is { } taken)
            throw new RuleBroken("area-exists", $"the programme already has an area named '{taken}'", 409, "name");
    }

    /// <summary>
    /// A category's name, refused (409 category-exists, naming name) when another category of the programme has it, or has it as
    /// its code: the allocation and claim-line imports find a category by its id, code or name, and a name shared found neither.
    /// </summary>
    /// <param name="others">the programme's other categories</param>
    internal static void CheckCategoryName(IEnumerable<BudgetCategory> others, string name)
    {
        foreach (var c in others)
            if (SameName(c.Name, name) || SameName(c.Code, name))
                throw new RuleBroken("category-exists", SameName(c.Name, name)
                    ? $"the programme already has a category named '{c.Name}' (code {c.Code})"
                    : $"'{name}' is the code of the programme's category '{c.Name}': give this one another name", 409, "name");
    }

    /// <summary>Set-up belongs to the programme's admins (or an admin of every programme).</summary>
    public static async Task<Programme> RequireProgrammeAdminAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, CancellationToken ct)
    {
        var programme = await db.Programmes.FindAsync([programmeId], ct) ?? throw new NotFound("programme", programmeId);
        if (caller.Role != Roles.ProgrammeAdmin || !caller.CanSeeProgramme(programmeId))
            throw new Forbidden("only an admin of this programme can change its set-up");
        return programme;
    }

    public static async Task<Programme> ProgrammeVisibleAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, CancellationToken ct)
    {
        var programme = await db.Programmes.AsNoTracking().SingleOrDefaultAsync(p => p.Id == programmeId, ct)
                        ?? throw new NotFound("programme", programmeId);
        caller.EnsureProgramme(programmeId);
        return programme;
    }

    internal static async Task<T> SaveWithAuditAsync<T>(GrantLedgerDb db, AuditTrail audit, T entity,
        Func<(AuditAction Action, long Id, long ProgrammeId, object Details)> describe, CancellationToken ct) where T : class
    {
        return await db.InTransactionAsync(async () =>
        {
            db.Add(entity);
            await db.SaveChangesAsync(ct);
            var (action, id, programmeId, details) = describe();
            audit.Record(action, id, programmeId, details);
            await db.SaveChangesAsync(ct);
            return entity;
        }, ct);
    }
}
