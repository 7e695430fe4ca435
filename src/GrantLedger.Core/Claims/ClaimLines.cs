using System.Text.RegularExpressions;

namespace GrantLedger.Core.Claims;

/// <summary>What a claim line pays for.</summary>
public enum ClaimLineKind
{
    /// <summary>Cover for a leader's or teacher's contact or development time, priced per day.</summary>
    StaffTime,
    /// <summary>The TLR3 sum for the half-term.</summary>
    Tlr,
    /// <summary>Support staff's hours administering the programme, priced per hour.</summary>
    SupportHours,
    /// <summary>A cost of an action in the school's agreed plan, from an invoice.</summary>
    ActionPlan,
    /// <summary>Days of specialist support (OT, SLT, EP …) against the school's days allowance.</summary>
    SpecialistDays,
}

/// <summary>The vocabulary and rules of claim lines that do not need the database.</summary>
public static partial class ClaimLines
{
    /// <summary>The rate-card code each priced kind uses, by staff role.</summary>
    public static string? RateCode(ClaimLineKind kind, string? role) => kind switch
    {
        ClaimLineKind.StaffTime => role == "support-staff" ? "support-staff-hour" : "teacher-cover-day",
        ClaimLineKind.SupportHours => "support-staff-hour",
        ClaimLineKind.Tlr => "tlr3-period",
        ClaimLineKind.SpecialistDays => "specialist-day",
        _ => null,
    };

    /// <summary>Leaders' direct contact time and internal development time, as the programmes name them.</summary>
    public static readonly string[] Activities =
        ["training", "peer-visit", "shared-learning-network", "student-action-group", "implementation", "programme-admin"];

    public static readonly string[] StaffRoles = ["leader", "teacher", "support-staff"];

    /// <summary>The kinds as the API spells them ("staff-time", "specialist-days").</summary>
    public static readonly string[] Kinds = Enum.GetValues<ClaimLineKind>().Select(k => Workflow.Kebab.Of(k)).ToArray();

    public static readonly string[] Specialists =
        ["occupational-therapist", "speech-and-language-therapist", "educational-psychologist", "specialist-teacher", "other"];

    /// <summary>
    /// The fields of a line request each kind takes, as the API, the CSV import and the line form name them; a value given
    /// for another field is refused, naming it (a support-hours line's role and activity were overwritten, a TLR's hours
    /// and an action-plan line's date dropped, without a word). Kind and description go with every kind.
    /// </summary>
    public static IReadOnlyList<string> FieldsOf(ClaimLineKind kind) => kind switch
    {
        ClaimLineKind.StaffTime => ["categoryId", "allowanceCategoryId", "staffRef", "role", "activity", "date", "hours", "days"],
        // the TLR3 sum for the half-term: a date, if sent, is checked to fall in it
        ClaimLineKind.Tlr => ["categoryId", "staffRef", "date"],
        // support staff's programme admin: its role and activity are those, so none is asked
        ClaimLineKind.SupportHours => ["categoryId", "allowanceCategoryId", "staffRef", "date", "hours"],
        ClaimLineKind.ActionPlan => ["categoryId", "actionId", "supplier", "invoiceRef", "amount"],
        // a specialist is named by their profession, never by a staff reference
        ClaimLineKind.SpecialistDays => ["categoryId", "allowanceCategoryId", "specialist", "date", "days"],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// The most time one line may claim: one working day (7.5 hours, 450 minutes), whatever its kind. A line is dated on
    /// one day: a staff member's cannot be more than a full day on it (nor can all their lines on it together), and a
    /// specialist's line records one specialist's work on its date, so it is at most a day too; days over several dates,
    /// or several specialists on one date, are a line each. Far inside the database's CHECK on minutes (at most
    /// 1,000,000,000,000), and small enough that no rate (at most £10,000,000,000.00) by it overflows a long.
    /// </summary>
    public const int MostMinutes = Money.Minutes.PerDay;

    /// <summary>Kinds whose staff reference counts towards the one-full-day-per-date limit.</summary>
    public static bool CountsStaffDay(ClaimLineKind kind) => kind is ClaimLineKind.StaffTime or ClaimLineKind.SupportHours;

    /// <summary>A staff reference: letters, an optional hyphen, digits ("STAFF-01", "T7"), never a name.</summary>
    public const string StaffRefPattern = "^[A-Z]{1,10}-?[0-9]{1,6}$";
    [GeneratedRegex(StaffRefPattern + Rules.Patterns.AtTheEnd)] private static partial Regex Pseudonym();

    /// <summary>
    /// A staff reference is a pseudonym such as "STAFF-07" or "T12": letters then digits, never a
    /// name. Returns the normalised (upper-case, trimmed) reference, or null when it is not one.
    /// </summary>
    public static string? StaffReference(string? text)
    {
        var s = text?.Trim().ToUpperInvariant();
        return s is not null && Pseudonym().IsMatch(s) ? s : null;
    }

    /// <summary>
    /// The staff member a reference names, as the rules compare them: its letters and its number, without the optional
    /// hyphen or leading zeros, so that T1, T01, T-1 and T-01 are one person to the full day and to the TLR once per
    /// half-term (T-01 becomes T1, STAFF-007 STAFF7, T000 T0), as PostgreSQL compares them (staff_key(staff_ref): migration
    /// 0092, decision 27). A line keeps the reference as the school typed it.
    /// </summary>
    public static string StaffKey(string staffRef)
    {
        var number = staffRef.AsSpan().IndexOfAnyInRange('0', '9');
        if (number < 0) return staffRef.Replace("-", "", StringComparison.Ordinal);
        var digits = staffRef.AsSpan(number).TrimStart('0');
        return string.Concat(staffRef.AsSpan(0, number).TrimEnd('-'), digits.IsEmpty ? "0" : digits);
    }
}
