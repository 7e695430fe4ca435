using System.Globalization;
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
/// changes.
/// </summary>
public static class PayeeReferences
{
    public const int MaxLength = 50;

    public sealed record Change(string? PayeeReference);

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
        : value.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format)
            ? "must not contain control characters or invisible formatting characters"
            : null;

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
            // Runs not yet exported pay the new reference when they are; named so the change can be traced to them.
            var unexportedRuns = await (from p in db.Set<PaymentRunPayee>()
                                        join run in db.Set<PaymentRun>() on p.PaymentRunId equals run.Id
                                        where p.SchoolId == schoolId && (run.State == "built" || run.State == "approved")
                                        orderby run.Id
                                        select run.Id).ToListAsync(ct);
            var before = school.PayeeReference;
            school.PayeeReference = value;
            audit.Record("school.payee-reference-changed", "school", school.Id, school.ProgrammeId,
                new Changed(school.Urn, before, value, unexportedRuns.Select(PaymentRuns.Reference).ToList()));
            await db.SaveChangesAsync(ct);
            return school;
        }, ct);
    }
}
