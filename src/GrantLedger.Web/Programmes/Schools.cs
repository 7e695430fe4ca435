using System.Text.RegularExpressions;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>Enrolling a school in a programme, one at a time.</summary>
public static partial class Schools
{
    public sealed record NewSchool([property: MaxText(6, Pattern = UrnPattern)] string? Urn, [property: MaxText(MostName)] string? Name, [property: OneOf(typeof(Schools), nameof(Phases))] string? Phase,
        [property: MaxText(MostLocalAuthority)] string? LocalAuthority, long? AreaId, [property: MaxText(PayeeReferences.MaxLength)] string? PayeeReference);

    public const int MostName = 200, MostPhase = 100, MostLocalAuthority = 100;

    /// <summary>
    /// The phases of education as Get Information about Schools names them (its <c>PhaseOfEducation (name)</c> column, which
    /// an import reads): a school's phase is one of them, given in any case and kept as GIAS spells it, so that schools can be
    /// counted and found by phase. PostgreSQL holds the list too (migration 0097).
    /// </summary>
    public static readonly IReadOnlyList<string> Phases =
        ["Nursery", "Primary", "Middle deemed primary", "Secondary", "Middle deemed secondary", "16 plus", "All-through", "Not applicable"];

    /// <summary>The phases as a form's choices, each its own label.</summary>
    public static IEnumerable<(string Value, string Text)> PhaseOptions => Phases.Select(p => (p, p));

    /// <summary>The phase as GIAS spells it, or null when <paramref name="phase"/> is none of <see cref="Phases"/>.</summary>
    public static string? PhaseNamed(string? phase) =>
        FreeText.Kept(phase) is { } kept ? Phases.FirstOrDefault(p => p.Equals(kept, StringComparison.OrdinalIgnoreCase)) : null;

    /// <summary>What is wrong with a phase, or null: the rule of every text field, then that it is one of <see cref="Phases"/>.</summary>
    public static string? PhaseProblem(string? phase) =>
        FreeText.Problem(phase, MostPhase) ?? (PhaseNamed(phase) is null ? "must be one of " + string.Join(", ", Phases) : null);

    /// <summary>The phase as kept (as GIAS spells it), its problem, if any, added to <paramref name="errors"/> as "phase".</summary>
    public static string? KeptPhase(FieldErrors errors, string? phase)
    {
        if (PhaseProblem(phase) is { } problem) errors.Add("phase", problem);
        return PhaseNamed(phase) ?? FreeText.Kept(phase);
    }

    public const string UrnPattern = "^[0-9]{6}$";
    [GeneratedRegex(UrnPattern + Patterns.AtTheEnd)] public static partial Regex Urn();

    /// <summary>
    /// What is wrong with a school's name, or null: the rule of every text field (<see cref="FreeText.Problem"/>), and the
    /// payment file's, which pays the school under its name as kept (<see cref="Csv.WrittenAsAFormula"/>). PostgreSQL holds
    /// the second too (migration 0082).
    /// </summary>
    public static string? NameProblem(string? name) => FreeText.Problem(name, MostName) ?? Csv.WrittenAsAFormula(FreeText.Kept(name)!);

    /// <summary>The name as kept (<see cref="FreeText.Kept"/>), its problem, if any, added to <paramref name="errors"/> as "name".</summary>
    public static string? KeptName(FieldErrors errors, string? name)
    {
        if (NameProblem(name) is { } problem) errors.Add("name", problem);
        return FreeText.Kept(name);
    }

    public static async Task<School> AddAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewSchool r,
        CancellationToken ct)
    {
        await SetUp.RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var errors = new FieldErrors();
        if (r.Urn is null || !Urn().IsMatch(r.Urn)) errors.Add("urn", "must be the school's six-digit URN");
        r = r with // as kept, and audited
        {
            Name = KeptName(errors, r.Name), Phase = KeptPhase(errors, r.Phase),
            LocalAuthority = errors.Text("localAuthority", r.LocalAuthority, MostLocalAuthority, required: false),
        };
        if (r.AreaId is null) errors.Add("areaId", "is required");
        var payee = PayeeReferences.Normalised(r.PayeeReference);
        if (PayeeReferences.Problem(payee) is { } payeeProblem) errors.Add("payeeReference", payeeProblem);
        errors.ThrowIfAny();
        if (!await db.Areas.AnyAsync(a => a.Id == r.AreaId && a.ProgrammeId == programmeId, ct))
            throw new InvalidInput("areaId", $"area {r.AreaId} is not an area of this programme");
        if (await db.Schools.AnyAsync(s => s.ProgrammeId == programmeId && s.Urn == r.Urn, ct))
            throw new RuleBroken("school-already-enrolled", $"the school with URN {r.Urn} is already in this programme", 409, "urn");
        await PayeeReferences.EnsureFreeAsync(db, programmeId, payee, null, ct);

        var school = new School
        {
            ProgrammeId = programmeId, Urn = r.Urn!, Name = r.Name!, Phase = r.Phase!,
            LocalAuthority = r.LocalAuthority, AreaId = r.AreaId!.Value, PayeeReference = payee,
        };
        return await SetUp.SaveWithAuditAsync(db, audit, school, () => (AuditAction.SchoolEnrolled, school.Id, programmeId, r), ct);
    }

    /// <summary>
    /// The schools whose URN starts with the text searched for, or whose name holds it in any case: how the admin's list of
    /// schools and the ledger's list of claims find a school.
    /// </summary>
    public static IQueryable<School> Matching(this IQueryable<School> schools, string text)
    {
        var lower = text.ToLowerInvariant();
        return schools.Where(s => s.Urn.StartsWith(text) || s.Name.ToLower().Contains(lower));
    }

    /// <summary>The schools the caller may see: all of the programme, their area's, or their own.</summary>
    public static IQueryable<School> Visible(GrantLedgerDb db, CurrentUser caller, long programmeId)
    {
        var schools = db.Schools.AsNoTracking().Where(s => s.ProgrammeId == programmeId);
        if (caller.SeesWholeProgramme(programmeId)) return schools;
        return caller.Role switch
        {
            Roles.AreaLead when caller.ProgrammeId == programmeId => schools.Where(s => s.AreaId == caller.AreaId),
            Roles.SchoolBusinessManager when caller.ProgrammeId == programmeId => schools.Where(s => s.Id == caller.SchoolId),
            _ => throw new Forbidden("your account is not scoped to this programme"),
        };
    }

    public static async Task<School> FindVisibleAsync(GrantLedgerDb db, CurrentUser caller, long schoolId, CancellationToken ct)
    {
        var school = await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId, ct) ?? throw new NotFound("school", schoolId);
        caller.EnsureSchool(school);
        return school;
    }
}
