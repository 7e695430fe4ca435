using System.Globalization;

namespace GrantLedger.Bench;

/// <summary>A draft claim ready to submit: its school and what its one line asks for.</summary>
public sealed record DraftClaim(long Id, long SchoolId, long AmountPence);

/// <summary>
/// Draft claims written with bulk SQL the way a school leaves them before submitting: one claim in
/// the current half-term, one staff-time line (a leader's half day of peer review, priced) on the
/// school's staff-cover budget, created by the school's business manager. Nothing is held yet.
/// </summary>
public static class BenchClaims
{
    /// <summary>
    /// Runs a seed's own step with the database's check that a claim's state change comes with its history row
    /// (migration 0052) off, in the seed's transaction only: the seeds move claims straight from draft into later states
    /// in one statement, after writing each claim's history as the path of moves that would have taken it there (which
    /// migration 0057 checks at commit).
    /// </summary>
    public static async Task WithoutHistoryCheckAsync(Npgsql.NpgsqlConnection conn, Npgsql.NpgsqlTransaction tx, Func<Task> step)
    {
        await using (var off = new Npgsql.NpgsqlCommand("ALTER TABLE claim DISABLE TRIGGER claim_state_change_recorded", conn, tx))
            await off.ExecuteNonQueryAsync();
        await step();
        await using var on = new Npgsql.NpgsqlCommand("ALTER TABLE claim ENABLE TRIGGER claim_state_change_recorded", conn, tx);
        await on.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// How the drafts <paramref name="firstId"/>..<paramref name="lastId"/> that were submitted were committed: claims per
    /// commit on average, the share written with others and the most in one commit (the service writes submissions that
    /// arrive together in one transaction: SubmissionGroups). Read from their history rows' xmin, one per transaction.
    /// </summary>
    public static async Task<string> CommitsAsync(BenchCluster db, long firstId, long lastId)
    {
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT coalesce(sum(n), 0)::bigint, count(*), coalesce(sum(n) FILTER (WHERE n > 1), 0)::bigint, coalesce(max(n), 0)
              FROM (SELECT xmin::text, count(*) AS n FROM claim_transition
                     WHERE claim_id BETWEEN $1 AND $2 AND trigger = 'submit' GROUP BY 1) t
            """);
        cmd.Parameters.Add(new() { Value = firstId });
        cmd.Parameters.Add(new() { Value = lastId });
        await using var rows = await cmd.ExecuteReaderAsync();
        await rows.ReadAsync();
        var (claims, commits, grouped, most) = (rows.GetInt64(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3));
        return commits == 0 ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"{(double)claims / commits:F2} ({100.0 * grouped / claims:F0} % grouped, up to {most})");
    }

    public static async Task EnsurePeriodsAsync(BenchCluster db, long programmeId) =>
        await db.Exec("""
            INSERT INTO period (programme_year_id, code, name, starts_on, ends_on)
            SELECT y.id, v.code, v.name, v.starts_on::date, v.ends_on::date
              FROM programme_year y,
                   (VALUES ('aut1', 'Autumn 1', '2026-09-01', '2026-10-23'), ('aut2', 'Autumn 2', '2026-10-24', '2026-12-18'),
                           ('spr1', 'Spring 1', '2026-12-19', '2027-02-12'), ('spr2', 'Spring 2', '2027-02-13', '2027-03-26'),
                           ('sum1', 'Summer 1', '2027-03-27', '2027-05-28'), ('sum2', 'Summer 2', '2027-05-29', '2027-08-31'))
                   AS v(code, name, starts_on, ends_on)
             WHERE y.programme_id = $1
               AND NOT EXISTS (SELECT 1 FROM period p WHERE p.programme_year_id = y.id AND p.code = v.code)
            """, programmeId);

    /// <summary><paramref name="count"/> drafts spread round-robin over <paramref name="schoolIds"/>, in id order.</summary>
    public static async Task<List<DraftClaim>> DraftsAsync(BenchCluster db, long programmeId, long[] schoolIds, int count)
    {
        var after = (long)(await db.Scalar("SELECT coalesce(max(id), 0) FROM claim"))!;
        await db.Exec("""
            WITH c AS (
                INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by, description)
                SELECT s.programme_id, y.id, per.id, s.id, u.id, 'Peer review cover, Autumn 2'
                  FROM generate_series(0, $3 - 1) g
                  JOIN school s ON s.id = ($2::bigint[])[1 + g % cardinality($2::bigint[])]
                  JOIN programme_year y ON y.programme_id = s.programme_id
                  JOIN period per ON per.programme_year_id = y.id AND per.code = 'aut2'
                  JOIN app_user u ON u.school_id = s.id AND u.role = 'school_business_manager'
                 WHERE s.programme_id = $1
                 ORDER BY g
                RETURNING id)
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, minutes, staff_ref, staff_role, activity, work_date, description)
            SELECT c.id, 1, 'staff-time', cat.id, 100 + floor(random() * 49901)::bigint, 225,
                   -- one staff member per claim (the staff-day check): SA-0 … SA-999999, SB-0 …, distinct up to 26 million claims
                   'S' || chr(65 + (c.id / 1000000)::int % 26) || '-' || (c.id % 1000000), 'leader', 'peer review', DATE '2026-10-26' + (c.id % 50)::int, 'Half a day of peer review'
              FROM c, budget_category cat WHERE cat.programme_id = $1 AND cat.code = 'staff-cover'
            """, programmeId, schoolIds, count);
        var drafts = new List<DraftClaim>(count);
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT c.id, c.school_id, l.amount_pence FROM claim c JOIN claim_line l ON l.claim_id = c.id WHERE c.id > $1 ORDER BY c.id
            """))
        {
            cmd.Parameters.Add(new() { Value = after });
            await using var rows = await cmd.ExecuteReaderAsync();
            while (await rows.ReadAsync()) drafts.Add(new DraftClaim(rows.GetInt64(0), rows.GetInt64(1), rows.GetInt64(2)));
        }
        if (drafts.Count != count) throw new InvalidOperationException($"{drafts.Count} drafts were written, not {count}");
        await db.Exec("ANALYZE claim; ANALYZE claim_line");
        return drafts;
    }

    /// <summary>The file the wrk script reads: "claimId token" per line.</summary>
    /// <summary>The warm-up's slices: 5 seconds each, each with drafts of its own, at most 12 (one minute).</summary>
    public const int WarmUpSlices = 12, WarmUpSlice = 2_500;

    /// <summary>
    /// Submits <paramref name="drafts"/> in 5-second slices until tiered compilation is under 5 % of the
    /// service's CPU, not for a fixed time: a fresh process spends its first 30-60 s under load in tiered
    /// compilation (Dynamic PGO re-compiles every hot method twice, on a background thread, at about half a
    /// core here), which a service that runs for hours pays once. With a 5 or 10 s warm-up the first
    /// measurement carried it: 28-37 ms of CPU per request at one client against 7-9 ms once settled
    /// (docs/performance.md).
    /// Then ANALYZE, as autovacuum does within its first minute: the seed leaves the claims' history, the audit trail
    /// and the staff days nearly empty, and the plans made for them then (a history table of one page is read whole)
    /// stay cached on the pooled connections until the statistics change. Measured before this was added, the
    /// measurement ran inside that first minute: migration 0052's check read the whole history table for every
    /// submission, 3-4 ms each by the end (docs/performance.md, section 7).
    /// </summary>
    /// <returns>each slice's service CPU per request (the tiered-compilation share in brackets), for the report</returns>
    public static async Task<string> WarmUpAsync(BenchCluster db, ServiceHost service, string script, int clients, IReadOnlyList<DraftClaim> drafts,
        Func<long, string> tokenOfSchool, string folder)
    {
        var warm = new List<string>();
        for (var slice = 0; slice < WarmUpSlices && (slice + 1) * WarmUpSlice <= drafts.Count; slice++)
        {
            var file = WriteWrkData(folder, $"warm-up-{slice}.txt", drafts.Skip(slice * WarmUpSlice).Take(WarmUpSlice), tokenOfSchool);
            var (before, jitBefore) = (service.CpuTime(), service.TieredCompilationThreads());
            var run = await Wrk.RunAsync(service.BaseAddress, script, clients, 5, file);
            var (cpu, jit) = (service.CpuTime() - before, ServiceHost.Between(jitBefore, service.TieredCompilationThreads()));
            warm.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{cpu.TotalMilliseconds / Math.Max(1, run.Requests):F1} ({jit.TotalMilliseconds / Math.Max(1, run.Requests):F1} JIT)"));
            if (jit < cpu * 0.05) break; // tiered compilation has (almost) finished
        }
        await db.Exec("ANALYZE");
        return $"warm-up: {warm.Count} x 5 s at {clients} client(s), service CPU ms per request: {string.Join(" → ", warm)}";
    }

    public static string WriteWrkData(string folder, string name, IEnumerable<DraftClaim> drafts, Func<long, string> tokenOfSchool)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, drafts.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Id} {tokenOfSchool(d.SchoolId)}")));
        return path;
    }
}
