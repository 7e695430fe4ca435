using GrantLedger.Core.Claims;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// No staff reference may be claimed for more than a full day on one date across all the
/// school's claims (a reference is the school's pseudonym: another school's T10 is another person). Drafts are checked as lines are added; submission books the minutes in
/// staff_day, whose CHECK (at most 450) holds even against claims submitted at the same moment;
/// returning, rejecting or withdrawing a claim releases them.
/// </summary>
public static class StaffDays
{
    private sealed record Booked(int Minutes);

    /// <summary>The refusal of a draft's line that would claim its staff member for more than a full working day on its date, or null.</summary>
    public static async Task<RuleBroken?> PastAFullDayAsync(GrantLedgerDb db, ClaimScope c, ClaimLine line, CancellationToken ct)
    {
        var booked = await db.Database.SqlQuery<Booked>($"""
            SELECT minutes AS "Minutes" FROM staff_day
            WHERE school_id = {c.Claim.SchoolId} AND staff_ref = {line.StaffRef} AND work_date = {line.WorkDate}
            """).Select(b => (int?)b.Minutes).SingleOrDefaultAsync(ct) ?? 0;
        var inThisClaim = c.Claim.Lines.Where(l => !ReferenceEquals(l, line) && l.StaffRef == line.StaffRef && l.WorkDate == line.WorkDate && ClaimLines.CountsStaffDay(Kind(l)))
            .Sum(l => l.Minutes ?? 0);
        var total = booked + inThisClaim + (line.Minutes ?? 0);
        return total > Minutes.PerDay ? TooMuch(line.StaffRef!, line.WorkDate!.Value, booked + inThisClaim, line.Minutes ?? 0, "hours") : null;
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the statements that book (<paramref name="sign"/> +1) or release (−1) the lines'
    /// staff days. A day that would pass a full day fails its statement, so nothing after it in the batch is done and the
    /// transaction is refused: <see cref="Refusal"/> says why.
    /// </summary>
    public static void AddTo(NpgsqlBatch batch, long programmeId, long schoolId, IEnumerable<ClaimLine> lines, int sign)
    {
        var days = lines.Where(l => ClaimLines.CountsStaffDay(Kind(l)))
            .GroupBy(l => (l.StaffRef!, l.WorkDate!.Value))
            .Select(g => (g.Key.Item1, g.Key.Value, Minutes: (int)g.Sum(l => l.Minutes ?? 0)))
            .OrderBy(d => d.Item1).ThenBy(d => d.Value) // one order for everyone: no deadlocks between submissions
            .ToList();
        foreach (var (staff, date, minutes) in days)
            batch.BatchCommands.Add(Statements.Of(sign < 0
                // Releasing is an UPDATE: PostgreSQL checks an upsert's candidate row (negative here) before the conflict.
                ? "UPDATE staff_day SET minutes = minutes - $5 WHERE school_id = $2 AND staff_ref = $3 AND work_date = $4 AND programme_id = $1 RETURNING minutes"
                // Books the school's day unless it would pass a full day (migrations 0047, 0070): the row is locked either way.
                : "SELECT staff_day_book($1, $2, $3, $4, $5)",
                programmeId, schoolId, staff, date, minutes));
    }

    /// <summary>A staff day refused by a statement of <see cref="AddTo"/>, said as the rule it breaks; null for any other failure.</summary>
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
