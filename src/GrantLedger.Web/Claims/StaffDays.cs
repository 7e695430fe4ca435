using GrantLedger.Core.Claims;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// No staff member may be claimed for more than a full day on one date across all the school's claims (a reference is the
/// school's pseudonym: another school's T10 is another person; T-01, T01 and T1 are one, <see cref="ClaimLines.StaffKey"/>).
/// Drafts are checked as lines are added. The claim's own UPDATE books its days in staff_day as it is submitted, refusing
/// a day past a full day even against claims submitted at the same moment, and releases them as it is returned, rejected
/// or withdrawn (migration 0087: PostgreSQL writes staff_day, and nothing else may).
/// </summary>
public static class StaffDays
{
    private sealed record Booked(int Minutes);

    /// <summary>The refusal of a draft's line that would claim its staff member for more than a full working day on its date, or null.</summary>
    public static async Task<RuleBroken?> PastAFullDayAsync(GrantLedgerDb db, ClaimScope c, ClaimLine line, CancellationToken ct)
    {
        var staff = ClaimLines.StaffKey(line.StaffRef!);
        var booked = await db.Database.SqlQuery<Booked>($"""
            SELECT minutes AS "Minutes" FROM staff_day
            WHERE school_id = {c.Claim.SchoolId} AND staff_ref = {staff} AND work_date = {line.WorkDate}
            """).Select(b => (int?)b.Minutes).SingleOrDefaultAsync(ct) ?? 0;
        var inThisClaim = c.Claim.Lines.Where(l => !ReferenceEquals(l, line) && l.StaffRef is { } other && ClaimLines.StaffKey(other) == staff
                                                   && l.WorkDate == line.WorkDate && ClaimLines.CountsStaffDay(Kind(l)))
            .Sum(l => l.Minutes ?? 0);
        var total = booked + inThisClaim + (line.Minutes ?? 0);
        return total > Minutes.PerDay ? TooMuch(line.StaffRef!, line.WorkDate!.Value, booked + inThisClaim, line.Minutes ?? 0, "hours") : null;
    }

    /// <summary>A staff day refused as the claim's UPDATE booked it (GL009, staff_day_book), said as the rule it breaks; null for any other failure.</summary>
    public static RuleBroken? Refusal(PostgresException e)
    {
        if (e.SqlState != "GL009" || e.Detail is not { } detail) return null;
        var day = System.Text.Json.JsonDocument.Parse(detail).RootElement; // migration 0047: the day, what it had, what was asked
        return TooMuch(day.GetProperty("staffRef").GetString()!, DateOnly.Parse(day.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            day.GetProperty("booked").GetInt64(), day.GetProperty("asked").GetInt64(), "lines");
    }

    private static RuleBroken TooMuch(string staff, DateOnly date, long already, long asked, string field)
    {
        // in one unit, to be compared: it read "8.5 hours … 0.8 days is already claimed"
        var time = Minutes.InOneUnit([already + asked, Minutes.PerDay, already]);
        return new("staff-day-exceeded",
            $"{staff} would be claimed for {time(already + asked)} on {date:d MMM yyyy}, more than a full working day ({time(Minutes.PerDay)}): " +
            $"{time(already)} is already claimed on this and other claims.",
            422, field, new Dictionary<string, object?>
            {
                ["staffRef"] = staff, ["date"] = date, ["alreadyClaimedMinutes"] = already, ["askedMinutes"] = asked,
                ["overByMinutes"] = already + asked - Minutes.PerDay,
            });
    }

    private static ClaimLineKind Kind(ClaimLine l) => Core.Workflow.Kebab.TryParse<ClaimLineKind>(l.Kind, out var k) ? k : ClaimLineKind.ActionPlan;
}
