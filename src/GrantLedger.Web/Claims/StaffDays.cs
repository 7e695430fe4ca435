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
            if (sign < 0)
            {
                // Releasing is an UPDATE: PostgreSQL checks an upsert's candidate row (negative here) before the conflict.
                await using var release = Command(conn, tx,
                    "UPDATE staff_day SET minutes = minutes - $4 WHERE programme_id = $1 AND staff_ref = $2 AND work_date = $3",
                    programmeId, staff, date, minutes);
                await release.ExecuteNonQueryAsync(ct);
                continue;
            }
            // Book the day unless it would pass a full day, in one statement: the row is locked either way
            // (ON CONFLICT locks the row it does not update), and the CHECK holds against a new day.
            await using (var book = Command(conn, tx, """
                INSERT INTO staff_day (programme_id, staff_ref, work_date, minutes) VALUES ($1, $2, $3, $4)
                ON CONFLICT (programme_id, staff_ref, work_date) DO UPDATE SET minutes = staff_day.minutes + EXCLUDED.minutes
                 WHERE staff_day.minutes + EXCLUDED.minutes <= $5
                RETURNING minutes
                """, programmeId, staff, date, minutes, Minutes.PerDay))
            {
                try
                {
                    if (await book.ExecuteScalarAsync(ct) is int) continue;
                }
                catch (PostgresException e) when (e.ConstraintName == "staff_day_within_a_day")
                {
                    throw TooMuch(staff, date, 0, minutes, "lines"); // more than a day on a day nobody had claimed
                }
            }
            // refused: say how much is claimed already (the row is locked: nobody has changed it since)
            await using var read = Command(conn, tx, "SELECT minutes FROM staff_day WHERE programme_id = $1 AND staff_ref = $2 AND work_date = $3",
                programmeId, staff, date);
            throw TooMuch(staff, date, await read.ExecuteScalarAsync(ct) is int already ? already : 0, minutes, "lines");
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, params object[] values)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        return cmd;
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
