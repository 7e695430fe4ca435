using GrantLedger.Core.Claims;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// No staff reference may be claimed for more than a full day on one date across all the
/// programme's claims. Drafts are checked as lines are added; submission books the minutes in
/// staff_day, whose CHECK (at most 450) holds even against claims submitted at the same moment;
/// returning, rejecting or withdrawing a claim releases them.
/// </summary>
public static class StaffDays
{
    private sealed record Booked(int Minutes);

    public static async Task CheckDraftAsync(GrantLedgerDb db, ClaimScope c, ClaimLine line, CancellationToken ct)
    {
        var booked = await db.Database.SqlQuery<Booked>($"""
            SELECT minutes AS "Minutes" FROM staff_day
            WHERE programme_id = {c.Programme.Id} AND staff_ref = {line.StaffRef} AND work_date = {line.WorkDate}
            """).Select(b => (int?)b.Minutes).SingleOrDefaultAsync(ct) ?? 0;
        var inThisClaim = c.Claim.Lines.Where(l => l.Id != line.Id && l.StaffRef == line.StaffRef && l.WorkDate == line.WorkDate && ClaimLines.CountsStaffDay(Kind(l)))
            .Sum(l => l.Minutes ?? 0);
        var total = booked + inThisClaim + (line.Minutes ?? 0);
        if (total > Minutes.PerDay) throw TooMuch(line.StaffRef!, line.WorkDate!.Value, booked + inThisClaim, line.Minutes ?? 0, "hours");
    }

    public static async Task BookAsync(GrantLedgerDb db, long programmeId, IEnumerable<ClaimLine> lines, int sign, CancellationToken ct)
    {
        var days = lines.Where(l => ClaimLines.CountsStaffDay(Kind(l)))
            .GroupBy(l => (l.StaffRef!, l.WorkDate!.Value))
            .Select(g => (g.Key.Item1, g.Key.Value, Minutes: (int)g.Sum(l => l.Minutes ?? 0)))
            .OrderBy(d => d.Item1).ThenBy(d => d.Value) // one order for everyone: no deadlocks between submissions
            .ToList();
        var (conn, tx) = await db.NpgsqlAsync(ct);
        foreach (var (staff, date, minutes) in days)
        {
            // Read (and lock) what is booked first, so a refusal can say how much; the CHECK still
            // holds against a submission that books the same day between this read and the write.
            long already;
            await using (var read = new NpgsqlCommand(
                "SELECT minutes FROM staff_day WHERE programme_id = $1 AND staff_ref = $2 AND work_date = $3 FOR UPDATE", conn, tx))
            {
                read.Parameters.Add(new() { Value = programmeId });
                read.Parameters.Add(new() { Value = staff });
                read.Parameters.Add(new() { Value = date });
                already = await read.ExecuteScalarAsync(ct) is int m ? m : 0;
            }
            if (sign > 0 && already + minutes > Minutes.PerDay) throw TooMuch(staff, date, already, minutes, "lines");

            // Releasing is an UPDATE: PostgreSQL checks an upsert's candidate row (negative here) before the conflict.
            await using var cmd = new NpgsqlCommand(sign > 0
                ? """
                  INSERT INTO staff_day (programme_id, staff_ref, work_date, minutes) VALUES ($1, $2, $3, $4)
                  ON CONFLICT (programme_id, staff_ref, work_date) DO UPDATE SET minutes = staff_day.minutes + EXCLUDED.minutes
                  """
                : "UPDATE staff_day SET minutes = minutes - $4 WHERE programme_id = $1 AND staff_ref = $2 AND work_date = $3", conn, tx);
            cmd.Parameters.Add(new() { Value = programmeId });
            cmd.Parameters.Add(new() { Value = staff });
            cmd.Parameters.Add(new() { Value = date });
            cmd.Parameters.Add(new() { Value = minutes });
            try
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.ConstraintName == "staff_day_within_a_day")
            {
                throw TooMuch(staff, date, Minutes.PerDay - minutes + 1, minutes, "lines");
            }
        }
    }

    private static RuleBroken TooMuch(string staff, DateOnly date, long already, long asked, string field) => new(
        "staff-day-exceeded",
        $"{staff} would be claimed for {new Minutes(already + asked)} on {date:d MMM yyyy}, more than a full working day ({new Minutes(Minutes.PerDay)}): " +
        $"{new Minutes(already)} is already claimed on this and other claims.",
        422, field, new Dictionary<string, object?>
        {
            ["staffRef"] = staff, ["date"] = date, ["alreadyClaimedMinutes"] = already, ["askedMinutes"] = asked,
            ["overByMinutes"] = already + asked - Minutes.PerDay,
        });

    private static ClaimLineKind Kind(ClaimLine l) => Core.Workflow.Kebab.TryParse<ClaimLineKind>(l.Kind, out var k) ? k : ClaimLineKind.ActionPlan;
}
