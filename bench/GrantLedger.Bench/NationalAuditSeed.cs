using System.Diagnostics;
using Npgsql;

namespace GrantLedger.Bench;

/// <summary>
/// The audit trail of the seeded national programme, as the service would have written it, in one set-based statement:
/// the set-up (programme, years, areas, categories, schools, users), funding and allocations, each claim's start and each
/// move of its history (claim_transition: the same actor and time, the moves a payment run makes written once per run, on
/// the run, as RunClaims does), the payment runs' own steps, and the sign-ins of a business manager made per school (one
/// before each claim is started and one before it is submitted, a twenty-fifth of them failing first). Only what the seed
/// did is recorded: it closes no half-term or year, so the trail holds no period.closed or year.closed.
/// Written through audit_event's own checks but one (an event's time is the moment it is written, off for the seed's one
/// statement): the (action, record type) foreign key, append-only, and the queue trigger
/// that queues each event for sealing (the first service started on the cluster, or <c>audit seal</c>, seals them).
/// Run once per programme: on a cluster seeded before the seed wrote events, it adds them.
/// </summary>
public static class NationalAuditSeed
{
    public static async Task RunAsync(BenchCluster db, long programmeId, TextWriter report)
    {
        if ((long)(await db.Scalar("SELECT count(*) FROM audit_event WHERE programme_id = $1", programmeId))! > 0) return;
        report.WriteLine("audit trail:");
        var total = Stopwatch.StartNew();
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        async Task Exec(string what, string sql, bool parameter = true)
        {
            var clock = Stopwatch.StartNew();
            await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            if (parameter) cmd.Parameters.Add(new() { Value = programmeId });
            var rows = await cmd.ExecuteNonQueryAsync();
            report.WriteLine($"  {what}: {rows:N0} rows, {clock.Elapsed.TotalSeconds:F1} s");
        }
        await Exec("a business manager per school", """
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id, created_at)
            SELECT 'pins-sbm-' || s.urn, upper('pins-sbm-' || s.urn), 'Business manager, ' || s.name, 'school_business_manager', s.programme_id, s.id,
                   timestamptz '2024-08-20 09:00Z' + s.id * interval '7 seconds'
              FROM school s WHERE s.programme_id = $1 ORDER BY s.id
            ON CONFLICT (normalized_user_name) DO NOTHING -- made by NationalSeed since migration 0086
            """);
        // Each claim's moves and start, at a working hour of their day, with the school's business manager: tables with
        // their statistics, which the planner lacks for a CTE (it then joined them row by row, a minute at a tenth's size).
        await Exec("claims' moves", $"""
            CREATE TEMP TABLE moves ON COMMIT DROP AS
            SELECT t.id, t.claim_id, t.trigger, t.from_state, t.to_state, t.actor_id, t.reason, t.entry_id, cl.payment_run_id, u.id AS sbm,
                   u.user_name AS sbm_name, cl.school_id,
                   t.occurred_at + interval '8 hours' + (hashint8(t.id) & 2147483647) % 28800 * interval '1 second' AS at
              FROM claim_transition t JOIN claim cl ON cl.id = t.claim_id
              JOIN school s ON s.id = cl.school_id JOIN app_user u ON u.normalized_user_name = upper('pins-sbm-' || s.urn)
             WHERE cl.programme_id = {programmeId}
            """, parameter: false); // a CREATE TABLE AS takes no parameter
        await Exec("claims' starts", $"""
            CREATE TEMP TABLE started ON COMMIT DROP AS
            SELECT cl.id, cl.created_by, cl.school_id, cl.period_id, u.id AS sbm,
                   per.starts_on + interval '5 days 8 hours' + (hashint8(cl.id) & 2147483647) % 28800 * interval '1 second' AS at,
                   coalesce(l.lines, 0) AS lines
              FROM claim cl JOIN period per ON per.id = cl.period_id
              JOIN school s ON s.id = cl.school_id JOIN app_user u ON u.normalized_user_name = upper('pins-sbm-' || s.urn)
              LEFT JOIN (SELECT claim_id, count(*) AS lines FROM claim_line GROUP BY claim_id) l ON l.claim_id = cl.id
             WHERE cl.programme_id = {programmeId}
            """, parameter: false); // a CREATE TABLE AS takes no parameter
        await Exec("analyse them", "ANALYZE moves; ANALYZE started", parameter: false);
        // Every event with its time; written in the order of time, so that the trail's ids follow its clock as a live one's do.
        // An event's time is the moment it is written (migration 0088): that check is off for this statement only, in the
        // seed's transaction, as the table's owner may.
        await Exec("times of the past allowed", "ALTER TABLE audit_event DISABLE TRIGGER audit_event_occurred_when_written", parameter: false);
        await Exec("events", """
            WITH admin AS (SELECT id FROM app_user WHERE user_name = 'pins-admin'),
            ev (at, user_id, action, record_type, record_id, details, address) AS (
                SELECT timestamptz '2024-07-01 09:00Z', (SELECT id FROM admin), 'programme.created', 'programme', $1::bigint,
                       jsonb_build_object('code', pr.code, 'name', pr.name), NULL::text
                  FROM programme pr WHERE pr.id = $1
                UNION ALL
                SELECT timestamptz '2024-07-01 09:05Z' + y.id * interval '1 minute', (SELECT id FROM admin), 'year.created', 'programme_year', y.id,
                       jsonb_build_object('code', y.code, 'startsOn', y.starts_on, 'endsOn', y.ends_on), NULL
                  FROM programme_year y WHERE y.programme_id = $1
                UNION ALL
                SELECT timestamptz '2024-07-01 10:00Z' + a.id * interval '1 minute', (SELECT id FROM admin), 'area.created', 'area', a.id,
                       jsonb_build_object('code', a.code, 'name', a.name), NULL
                  FROM area a WHERE a.programme_id = $1
                UNION ALL
                SELECT timestamptz '2024-07-01 11:00Z' + c.id * interval '1 minute', (SELECT id FROM admin), 'category.created', 'budget_category', c.id,
                       jsonb_build_object('code', c.code, 'name', c.name, 'unit', c.unit), NULL
                  FROM budget_category c WHERE c.programme_id = $1
                UNION ALL
                SELECT timestamptz '2024-07-02 09:00Z' + s.id * interval '5 seconds', (SELECT id FROM admin), 'school.enrolled', 'school', s.id,
                       jsonb_build_object('urn', s.urn, 'name', s.name, 'areaId', s.area_id), NULL
                  FROM school s WHERE s.programme_id = $1
                UNION ALL
                SELECT greatest(u.created_at, timestamptz '2024-07-01 12:00Z'), (SELECT id FROM admin), 'user.created', 'app_user', u.id,
                       jsonb_build_object('userName', u.user_name, 'role', u.role, 'schoolId', u.school_id), NULL
                  FROM app_user u WHERE u.programme_id = $1 AND u.user_name LIKE 'pins-%' AND u.user_name <> 'pins-admin'
                UNION ALL
                -- dated as their entries are (the seed's rows were recorded today)
                SELECT y.starts_on + interval '9 hours', f.created_by, 'funding.posted', 'funding', f.id, jsonb_build_object('unit', f.unit, 'amount', f.amount), NULL
                  FROM funding f JOIN programme_year y ON y.id = f.programme_year_id WHERE f.programme_id = $1
                UNION ALL
                SELECT y.starts_on + interval '1 day 9 hours', al.created_by, 'allocation.posted', 'allocation', al.id, jsonb_build_object('lines', al.line_count), NULL
                  FROM allocation al JOIN programme_year y ON y.id = al.programme_year_id WHERE al.programme_id = $1
                UNION ALL
                -- a business manager signs in to draft, and again to submit (one in twenty-five mistypes the password first)
                SELECT st.at - interval '6 minutes', st.sbm, 'sign-in.succeeded', 'app_user', st.sbm, jsonb_build_object('via', 'page'),
                       '10.' || (st.school_id % 200) || '.' || (st.school_id / 200 % 250) || '.7'
                  FROM started st
                UNION ALL
                SELECT m.at - interval '4 minutes', m.sbm, 'sign-in.succeeded', 'app_user', m.sbm, jsonb_build_object('via', 'page'),
                       '10.' || (m.school_id % 200) || '.' || (m.school_id / 200 % 250) || '.7'
                  FROM moves m WHERE m.trigger = 'submit'
                UNION ALL
                SELECT m.at - interval '5 minutes', NULL, 'sign-in.failed', 'app_user', m.sbm,
                       jsonb_build_object('userName', m.sbm_name, 'via', 'page', 'locked', false),
                       '10.' || (m.school_id % 200) || '.' || (m.school_id / 200 % 250) || '.7'
                  FROM moves m WHERE m.trigger = 'submit' AND m.claim_id % 25 = 0
                UNION ALL
                SELECT st.at, st.created_by, 'claim.started', 'claim', st.id, jsonb_build_object('periodId', st.period_id, 'lines', st.lines), NULL
                  FROM started st
                UNION ALL
                SELECT m.at, m.actor_id, 'claim.' || m.trigger, 'claim', m.claim_id,
                       jsonb_build_object('from', m.from_state, 'to', m.to_state, 'reason', m.reason, 'entryId', m.entry_id, 'details', NULL), NULL
                  FROM moves m WHERE m.trigger NOT IN ('add-to-payment-run', 'mark-paid')
                UNION ALL
                -- the moves a payment run makes, once per run for its claims (RunClaims)
                SELECT min(m.at), min(m.actor_id), 'claim.' || m.trigger, 'payment_run', m.payment_run_id,
                       jsonb_build_object('from', min(m.from_state), 'to', min(m.to_state), 'claims', count(*)), NULL
                  FROM moves m WHERE m.trigger IN ('add-to-payment-run', 'mark-paid') GROUP BY m.payment_run_id, m.trigger
                UNION ALL
                SELECT s.at, s.who, s.action, 'payment_run', r.id, jsonb_build_object('from', s.from_state, 'to', s.to_state), NULL
                  FROM payment_run r
                  CROSS JOIN LATERAL (VALUES (r.built_at + interval '10 hours', r.built_by, 'payment-run.built', NULL, 'built'),
                                             (r.approved_at + interval '15 hours', r.approved_by, 'payment-run.approve', 'built', 'approved'),
                                             (r.exported_at + interval '10 hours', r.exported_by, 'payment-run.export', 'approved', 'exported'),
                                             (r.paid_at + interval '11 hours', r.exported_by, 'payment-run.mark-paid', 'exported', 'paid'))
                       AS s(at, who, action, from_state, to_state)
                 WHERE r.programme_id = $1 AND s.at IS NOT NULL)
            INSERT INTO audit_event (occurred_at, user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
            SELECT ev.at, ev.user_id, u.user_name, u.role, ev.action, ev.record_type, ev.record_id, $1, ev.details, ev.address
              FROM ev LEFT JOIN app_user u ON u.id = ev.user_id
             ORDER BY ev.at, ev.action, ev.record_id
            """);
        await Exec("times of the past refused again", "ALTER TABLE audit_event ENABLE TRIGGER audit_event_occurred_when_written", parameter: false);
        var commit = Stopwatch.StartNew();
        await tx.CommitAsync();
        report.WriteLine($"  commit: {commit.Elapsed.TotalSeconds:F1} s");
        var vacuum = Stopwatch.StartNew();
        foreach (var table in new[] { "audit_event", "seal_queue", "app_user" }) await db.Exec($"VACUUM ANALYZE {table}");
        report.WriteLine($"  vacuum analyze: {vacuum.Elapsed.TotalSeconds:F1} s");
        report.WriteLine($"audit trail written in {total.Elapsed.TotalSeconds:F1} s: " +
                         $"{await db.Scalar("SELECT count(*) FROM audit_event WHERE programme_id = $1", programmeId):N0} events, " +
                         $"audit_event {await db.Scalar("SELECT pg_size_pretty(pg_total_relation_size('audit_event'))")} with its indexes; " +
                         "queued for sealing (audit seal, or the first service started here, seals them)");
    }
}
