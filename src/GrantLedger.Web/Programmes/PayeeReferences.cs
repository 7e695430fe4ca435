using System.Text.Json.Serialization;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>
/// A school's payee reference: its account as a supplier in the funder's finance system, the account the payment file
/// pays. Given when the school is enrolled or imported, or set and changed later by an admin of its programme (a
/// school joins a trust whose central account is paid): one rule for all three. A payment run reads it when its file
/// is exported, so a run built or approved before a change pays the reference in force then; an exported file never
/// changes. Two schools of one programme never share a reference, compared as the finance system matches them: case
/// and spaces aside (PostgreSQL's payee_reference_key, whose unique index is the last word, migration 0065).
/// </summary>
public static class PayeeReferences
{
    public const int MaxLength = 50;

    public sealed record Change([property: MaxText(MaxLength)] string? PayeeReference);

    /// <summary>The audit event's details: the old value said even when there was none.</summary>
    private sealed record Changed(string Urn, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Before, string After,
        IReadOnlyList<string> UnexportedRuns);

    /// <summary>The reference as kept: trimmed; none when blank.</summary>
    public static string? Normalised(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>What is wrong with a (normalised) reference, or null when it may be kept.</summary>
    public static string? Problem(string? value) =>
        value is null ? null
        : value.Length > MaxLength ? $"must be at most {MaxLength} characters"
        // a finance system matches the reference as typed: a tab, line break, bidi override or zero-width space would not match
        : FreeText.CharacterProblem(value) ?? KeyboardProblem(value)
        // the payment file and the exports would write it with an apostrophe before it, as a spreadsheet's formula (Csv.FormulaSafe):
        // the finance system would read a reference the school does not have. PostgreSQL holds the same rule (migration 0074).
        ?? Csv.WrittenAsAFormula(value);

    /// <summary>
    /// A supplier account is typed on a keyboard: letters A–Z, digits, spaces and ASCII punctuation. Anything else
    /// (a non-breaking space, a fullwidth letter, a Unicode hyphen, an accented letter) makes a reference that looks like
    /// another school's without being the same to the uniqueness rule. PostgreSQL holds the same rule (migration 0067).
    /// </summary>
    private static string? KeyboardProblem(string value)
    {
        for (var i = 0; i < value.Length; i++)
            if (value[i] is < ' ' or > '~')
                return "must use only the letters, digits, spaces and punctuation of a keyboard (A-Z, 0-9, - / . and the like): "
                       + $"character {i + 1} (U+{(int)value[i]:X4}) is not one, and such a character can make a reference look like "
                       + "another school's without being the same to a finance system";
        return null;
    }

    /// <summary>
    /// Each reference's key, as PostgreSQL compares references (the one definition, payee_reference_key), and the school
    /// of the programme that has it already, if any, other than <paramref name="exceptSchoolId"/>: in the order given
    /// (no key and no school for none).
    /// </summary>
    public static async Task<IReadOnlyList<Holder>> HoldersAsync(GrantLedgerDb db, long programmeId, IReadOnlyList<string?> references,
        long? exceptSchoolId, CancellationToken ct)
    {
        var values = references.ToArray();
        return await db.Database.SqlQuery<Holder>($"""
            SELECT payee_reference_key(x.reference) AS "Key", s.id AS "SchoolId", s.urn AS "Urn", s.name AS "Name", s.payee_reference AS "PayeeReference"
              FROM unnest({values}) WITH ORDINALITY AS x(reference, n)
              LEFT JOIN school s ON s.programme_id = {programmeId} AND s.id IS DISTINCT FROM {exceptSchoolId}
                               AND payee_reference_key(s.payee_reference) = payee_reference_key(x.reference)
             ORDER BY x.n
            """).ToListAsync(ct);
    }

    /// <param name="SchoolId">the school that has a reference with this key already; null when none has</param>
    public sealed record Holder(string? Key, long? SchoolId, string? Urn, string? Name, string? PayeeReference)
    {
        /// <summary>Who has it, as refusals say: only a programme's admins set references, and they see all its schools.</summary>
        public string Describe() => $"{Urn} {Name} (school {SchoolId}) has it already, as '{PayeeReference}'";
    }

    /// <summary>Refuses a reference another school of the programme has: one payment file would pay both into one account.</summary>
    public static RuleBroken Taken(string value, Holder holder) => new("payee-reference-taken",
        $"The payee reference '{value}' is taken: {holder.Describe()}. Two schools of a programme cannot share one (case and spaces " +
        "aside), or one payment file would pay both into one account: check the school's supplier account in the finance system.",
        409, "payeeReference", new Dictionary<string, object?>
        {
            ["payeeReference"] = value,
            ["school"] = new { id = holder.SchoolId, urn = holder.Urn, name = holder.Name, payeeReference = holder.PayeeReference },
        });

    /// <summary>The same refusal when two requests set one reference at the same moment and the database's index decides.</summary>
    public static RuleBroken TakenMeanwhile() => new("payee-reference-taken",
        "Another school of this programme was given the same payee reference (case and spaces aside) at the same moment: " +
        "two schools cannot share one, or one payment file would pay both into one account.", 409, "payeeReference");

    /// <summary>Refuses <paramref name="value"/> when another school of the programme has it.</summary>
    public static async Task EnsureFreeAsync(GrantLedgerDb db, long programmeId, string? value, long? schoolId, CancellationToken ct)
    {
        if (value is null) return;
        var holder = (await HoldersAsync(db, programmeId, [value], schoolId, ct))[0];
        if (holder.SchoolId is not null) throw Taken(value, holder);
    }

    /// <summary>How a programme admin sets a school's reference, as refusals name it.</summary>
    public static string HowToSet(long schoolId) => $"PUT /api/v1/schools/{schoolId}/payee-reference";

    public static async Task<School> SetAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long schoolId, Change r,
        CancellationToken ct)
    {
        var found = await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId, ct) ?? throw new NotFound("school", schoolId);
        await SetUp.RequireProgrammeAdminAsync(db, caller, found.ProgrammeId, ct);
        var value = Normalised(r.PayeeReference);
        if (value is null) throw new InvalidInput("payeeReference", "is required: the school's supplier reference in the funder's finance system");
        if (Problem(value) is { } problem) throw new InvalidInput("payeeReference", problem);

        return await db.InTransactionAsync(async () =>
        {
            // Locked, so that the value the audit event says was replaced is the one that was.
            var school = await db.Schools.FromSqlInterpolated($"SELECT * FROM school WHERE id = {schoolId} FOR UPDATE").SingleAsync(ct);
            if (school.PayeeReference == value) return school;
            await EnsureFreeAsync(db, school.ProgrammeId, value, school.Id, ct);
            // Runs not yet exported pay the new reference when they are; named so the change can be traced to them.
            var unexportedRuns = await (from p in db.Set<PaymentRunPayee>()
                                        join run in db.Set<PaymentRun>() on p.PaymentRunId equals run.Id
                                        where p.SchoolId == schoolId && (run.State == "built" || run.State == "approved")
                                        orderby run.Id
                                        select run.Id).ToListAsync(ct);
            var before = school.PayeeReference;
            school.PayeeReference = value;
            audit.Record(AuditAction.PayeeReferenceChanged, school.Id, school.ProgrammeId,
                new Changed(school.Urn, before, value, unexportedRuns.Select(PaymentRuns.Reference).ToList()));
            await db.SaveChangesAsync(ct);
            return school;
        }, ct);
    }
}
