using System.Diagnostics;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Bench;

/// <summary>
/// A national programme for other benchmarks: 24,000 schools in 42 ICBs, three academic years,
/// ~300,000 claims in every state and ~2 million transfers, written with set-based SQL through the
/// ledger's own triggers (balances, limits, holds resolving once, entries complete), so every
/// invariant the database enforces was enforced while seeding, and the audit trail of all of it
/// (<see cref="NationalAuditSeed"/>: about two million events at national scale). Then checks that balances tie and
/// the trial balance is zero, and times a school's statement through the service's LedgerReads.
/// </summary>
public static class NationalSeed
{
    private const string Code = "pins";
    private static readonly string[] Years = ["2024-25", "2025-26", "2026-27"];

    public static async Task<int> RunAsync(int schools, int claimsPerYear, int reads, string? clusterDir, TextWriter report)
    {
        await using var db = await BenchCluster.StartAsync(clusterDir);
        report.WriteLine($"cluster: {await db.SettingsAsync()}{(clusterDir is null ? "" : $", kept in {Path.GetFullPath(clusterDir)}")}");
        if ((long)(await db.Scalar("SELECT count(*) FROM programme WHERE code = $1", Code))! > 0)
            report.WriteLine($"programme '{Code}' is already seeded here: checking and reading only");
        else
        {
            var total = Stopwatch.StartNew();
            await SetUpAsync(db, schools, report);
            for (var y = 0; y < Years.Length; y++)
                await SeedYearAsync(db, y, schools, claimsPerYear, report);
            await Step(db, report, "vacuum analyze", "VACUUM ANALYZE");
            report.WriteLine($"seeded in {total.Elapsed.TotalMinutes:F1} min");
        }
        var programmeId = (long)(await db.Scalar("SELECT id FROM programme WHERE code = $1", Code))!;
        await NationalAuditSeed.RunAsync(db, programmeId, report); // also on a cluster seeded before the seed wrote the trail
        await CountsAsync(db, programmeId, report);
        await VerifyAsync(db, programmeId, report);
        await StatementReadsAsync(db, programmeId, reads, report);
        return 0;
    }

    private static async Task Step(BenchCluster db, TextWriter report, string what, string sql, params object[] args)
    {
        var clock = Stopwatch.StartNew();
        await db.Exec(sql, args);
        report.WriteLine($"  {what}: {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task SetUpAsync(BenchCluster db, int schools, TextWriter report)
    {
        report.WriteLine("set-up:");
        await Step(db, report, "programme, ICBs, schools, categories, users, years, half-terms", $$"""
            INSERT INTO programme (code, name, funder, area_kind, second_approval_threshold_pence)
            VALUES ('{{Code}}', 'PINS national (benchmark)', 'Department for Education', 'icb', 500000);
            INSERT INTO area (programme_id, code, name)
            SELECT p.id, 'icb-' || lpad(g::text, 2, '0'), 'Integrated care board ' || g FROM programme p, generate_series(1, 42) g WHERE p.code = '{{Code}}';
            INSERT INTO school (programme_id, urn, name, phase, local_authority, area_id, payee_reference)
            SELECT p.id, (100000 + g)::text, 'Primary School ' || g, 'Primary', 'LA ' || (g % 150), a.id, 'SUP' || (100000 + g)
              FROM programme p CROSS JOIN generate_series(1, {{schools}}) g
              JOIN area a ON a.programme_id = p.id AND a.code = 'icb-' || lpad((1 + g % 42)::text, 2, '0')
             WHERE p.code = '{{Code}}' ORDER BY g;
            INSERT INTO budget_category (programme_id, code, name, unit, kind)
            SELECT p.id, v.code, v.name, v.unit, v.kind FROM programme p,
                   (VALUES ('staff-cover', 'Staff cover', 'GBP', 'staff-cover'), ('action-plan', 'Action plan', 'GBP', 'action-plan'),
                           ('specialist-days', 'Specialist days', 'MIN', 'time-allowance')) AS v(code, name, unit, kind)
             WHERE p.code = '{{Code}}';
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id)
            SELECT 'pins-' || v.name, upper('pins-' || v.name), 'PINS ' || v.name, v.role, p.id FROM programme p,
                   (VALUES ('admin', 'programme_admin'), ('finance', 'funder_finance'), ('finance-2', 'funder_finance')) AS v(name, role)
             WHERE p.code = '{{Code}}';
            -- who moves the claims (migration 0086 holds the lifecycle's roles): an area lead per integrated care board, a
            -- business manager per school (as NationalAuditSeed, which makes them on a cluster seeded before)
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, area_id)
            SELECT 'pins-lead-' || a.code, upper('pins-lead-' || a.code), 'Lead, ' || a.name, 'area_lead', a.programme_id, a.id
              FROM area a JOIN programme p ON p.id = a.programme_id AND p.code = '{{Code}}' ORDER BY a.id;
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id, created_at)
            SELECT 'pins-sbm-' || s.urn, upper('pins-sbm-' || s.urn), 'Business manager, ' || s.name, 'school_business_manager', s.programme_id, s.id,
                   timestamptz '2024-08-20 09:00Z' + s.id * interval '7 seconds'
              FROM school s JOIN programme p ON p.id = s.programme_id AND p.code = '{{Code}}' ORDER BY s.id;
            INSERT INTO programme_year (programme_id, code, starts_on, ends_on)
            SELECT p.id, y.code, make_date(y.start, 9, 1), make_date(y.start + 1, 8, 31) FROM programme p,
                   (VALUES ('2024-25', 2024), ('2025-26', 2025), ('2026-27', 2026)) AS y(code, start)
             WHERE p.code = '{{Code}}';
            INSERT INTO period (programme_year_id, code, name, starts_on, ends_on)
            SELECT y.id, v.code, v.name, make_date(s + v.y1, v.m1, v.d1), make_date(s + v.y2, v.m2, v.d2)
              FROM programme_year y JOIN programme p ON p.id = y.programme_id AND p.code = '{{Code}}'
              CROSS JOIN LATERAL (SELECT extract(year FROM y.starts_on)::int AS s) st
              CROSS JOIN (VALUES ('aut1', 'Autumn 1', 0, 9, 1, 0, 10, 23), ('aut2', 'Autumn 2', 0, 10, 24, 0, 12, 18),
                                 ('spr1', 'Spring 1', 0, 12, 19, 1, 2, 12), ('spr2', 'Spring 2', 1, 2, 13, 1, 3, 26),
                                 ('sum1', 'Summer 1', 1, 3, 27, 1, 5, 28), ('sum2', 'Summer 2', 1, 5, 29, 1, 8, 31))
                   AS v(code, name, y1, m1, d1, y2, m2, d2)
            """);
        // The chart of accounts (GrantLedger.Core.Ledger.Chart), per year and per school, year and category.
        await Step(db, report, "accounts", $$"""
            INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id)
            SELECT p.id, u.unit, p.code || ':' || y.code || ':' || v.leaf, v.name || ' ' || y.code, v.side, v.lim, y.id
              FROM programme p JOIN programme_year y ON y.programme_id = p.id
              CROSS JOIN (VALUES ('GBP'), ('MIN')) AS u(unit)
              CROSS JOIN (VALUES ('funding', 'Funding', 'debit', 'none'), ('unallocated', 'Unallocated', 'credit', 'debits_within_credits'))
                   AS v(leaf, name, side, lim)
             WHERE p.code = '{{Code}}';
            INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id)
            SELECT p.id, c.unit, p.code || ':' || y.code || ':school:' || s.urn || ':' || c.code || ':' || v.leaf,
                   s.name || ': ' || c.name || ' ' || v.leaf || ' ' || y.code, 'credit', v.lim, y.id, s.id, c.id
              FROM programme p JOIN programme_year y ON y.programme_id = p.id JOIN school s ON s.programme_id = p.id
              JOIN budget_category c ON c.programme_id = p.id
              JOIN (VALUES ('available', 'debits_within_credits', true, true), ('payable', 'debits_within_credits', true, false),
                           ('paid', 'none', true, false), ('used', 'none', false, true)) AS v(leaf, lim, money, time)
                ON (c.unit = 'GBP' AND v.money) OR (c.unit = 'MIN' AND v.time)
             WHERE p.code = '{{Code}}'
             ORDER BY y.id, s.id, c.id, v.leaf;
            CREATE TABLE bench_account AS
            SELECT a.school_id, a.programme_year_id AS year_id, a.category_id,
                   max(a.id) FILTER (WHERE a.code LIKE '%:available') AS available,
                   max(a.id) FILTER (WHERE a.code LIKE '%:payable' OR a.code LIKE '%:used') AS claimed,
                   max(a.id) FILTER (WHERE a.code LIKE '%:paid') AS paid
              FROM account a JOIN programme p ON p.id = a.programme_id AND p.code = '{{Code}}'
             WHERE a.school_id IS NOT NULL GROUP BY 1, 2, 3;
            CREATE UNIQUE INDEX ON bench_account (school_id, year_id, category_id);
            ANALYZE account; ANALYZE bench_account
            """);
        // Funding and allocation per year: £12,000 staff cover, £8,000 action plan and 10 specialist
        // days (4,500 minutes) per school; each year funded with £100,000 and 45,000 minutes to spare.
        await Step(db, report, "funding and allocations", $$"""
            INSERT INTO funding (programme_id, programme_year_id, unit, amount, reference, created_by)
            SELECT p.id, y.id, u.unit, u.each * (SELECT count(*) FROM school s WHERE s.programme_id = p.id) + u.spare,
                   'Grant letter ' || y.code || ' (' || u.unit || ')', usr.id
              FROM programme p JOIN programme_year y ON y.programme_id = p.id
              JOIN app_user usr ON usr.user_name = 'pins-admin'
              CROSS JOIN (VALUES ('GBP', 2000000::bigint, 10000000::bigint), ('MIN', 4500::bigint, 45000::bigint)) AS u(unit, each, spare)
             WHERE p.code = '{{Code}}';
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT f.programme_id, y.starts_on, 'Funding: ' || f.reference, f.created_by, 'funding', f.id
                  FROM funding f JOIN programme_year y ON y.id = f.programme_year_id JOIN programme p ON p.id = f.programme_id AND p.code = '{{Code}}'
                RETURNING id, programme_id, value_date, recorded_at, cause_id)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, f.unit, fa.id, ua.id, f.amount, 'posted', e.value_date, e.recorded_at
              FROM e JOIN funding f ON f.id = e.cause_id JOIN programme_year y ON y.id = f.programme_year_id
              JOIN account fa ON fa.unit = f.unit AND fa.code = '{{Code}}:' || y.code || ':funding'
              JOIN account ua ON ua.unit = f.unit AND ua.code = '{{Code}}:' || y.code || ':unallocated';
            INSERT INTO allocation (programme_id, programme_year_id, method, description, line_count, created_by)
            SELECT p.id, y.id, 'explicit', 'Allocation ' || y.code || ': every school', 3 * (SELECT count(*) FROM school s WHERE s.programme_id = p.id), u.id
              FROM programme p JOIN programme_year y ON y.programme_id = p.id JOIN app_user u ON u.user_name = 'pins-admin'
             WHERE p.code = '{{Code}}';
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT a.programme_id, y.starts_on + 1, a.description, a.created_by, 'allocation', a.id
                  FROM allocation a JOIN programme_year y ON y.id = a.programme_year_id JOIN programme p ON p.id = a.programme_id AND p.code = '{{Code}}'
                RETURNING id, programme_id, value_date, recorded_at, cause_id)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, c.unit, ua.id, ba.available,
                   CASE c.code WHEN 'staff-cover' THEN 1200000 WHEN 'action-plan' THEN 800000 ELSE 4500 END, 'posted', e.value_date, e.recorded_at
              FROM e JOIN allocation al ON al.id = e.cause_id JOIN programme_year y ON y.id = al.programme_year_id
              JOIN bench_account ba ON ba.year_id = y.id JOIN budget_category c ON c.id = ba.category_id
              JOIN account ua ON ua.unit = c.unit AND ua.code = '{{Code}}:' || y.code || ':unallocated'
             ORDER BY ba.school_id, c.id
            """);
    }

    /// <summary>
    /// One year's claims, in one transaction. Past years' claims are paid (85%), rejected or withdrawn;
    /// the current year's (autumn half-terms only) are spread over every state. Lines: staff cover
    /// always, action plan on 70%, specialist days (minutes) on 50%.
    /// </summary>
    private static async Task SeedYearAsync(BenchCluster db, int yearIndex, int schools, int claims, TextWriter report)
    {
        var year = Years[yearIndex];
        var current = yearIndex == Years.Length - 1;
        report.WriteLine($"{year} ({claims:N0} claims):");
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        async Task Exec(string what, string sql)
        {
            var clock = Stopwatch.StartNew();
            await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            var rows = await cmd.ExecuteNonQueryAsync();
            report.WriteLine($"  {what}: {rows:N0} rows, {clock.Elapsed.TotalSeconds:F1} s");
        }
        var states = current
            ? "CASE WHEN h < 8 THEN 'draft' WHEN h < 18 THEN 'submitted' WHEN h < 28 THEN 'under-review' WHEN h < 33 THEN 'awaiting-second-approval' " +
              "WHEN h < 55 THEN 'approved' WHEN h < 65 THEN 'in-payment-run' WHEN h < 85 THEN 'paid' WHEN h < 93 THEN 'rejected' ELSE 'withdrawn' END"
            : "CASE WHEN h < 85 THEN 'paid' WHEN h < 93 THEN 'rejected' ELSE 'withdrawn' END";
        var halfTerms = current ? 2 : 6;
        await Exec("claims (as drafts)", $$"""
            CREATE TEMP TABLE sc ON COMMIT DROP AS
            SELECT s.id, row_number() OVER (ORDER BY s.id) - 1 AS n
              FROM school s JOIN programme p ON p.id = s.programme_id AND p.code = '{{Code}}';
            ANALYZE sc;
            CREATE TEMP TABLE c ON COMMIT DROP AS WITH ins AS (
                INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by, description)
                SELECT y.programme_id, y.id, per.id, sc.id, u.id, 'Half-term claim'
                  FROM generate_series(0, {{claims - 1}}) j
                  JOIN programme_year y ON y.code = '{{year}}' JOIN programme p ON p.id = y.programme_id AND p.code = '{{Code}}'
                  JOIN sc ON sc.n = j % {{schools}}
                  JOIN period per ON per.programme_year_id = y.id
                       AND per.code = (ARRAY['aut1', 'aut2', 'spr1', 'spr2', 'sum1', 'sum2'])[1 + (j / {{schools}}) % {{halfTerms}}]
                  JOIN app_user u ON u.user_name = 'pins-admin'
                 ORDER BY j
                RETURNING id, programme_year_id, period_id, school_id)
            SELECT ins.*, {{states}} AS state, (hashint4(ins.id::int + 7) & 2147483647) AS r
              FROM ins, LATERAL (SELECT (hashint4(ins.id::int) & 2147483647) % 100 AS h) x;
            CREATE INDEX ON c (id); ANALYZE c
            """);
        await Exec("claim lines", """
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, allowance_category_id, minutes, description)
            SELECT c.id, v.n, v.kind, CASE WHEN v.unit = 'GBP' THEN cat.id END,
                   CASE v.kind WHEN 'staff-time' THEN 10000 + c.r % 190000 WHEN 'action-plan' THEN 5000 + c.r % 145000 ELSE 0 END,
                   CASE WHEN v.unit = 'MIN' THEN cat.id END, CASE WHEN v.unit = 'MIN' THEN 225 * (1 + c.r % 2) END, v.description
              FROM c
              JOIN (VALUES (1, 'staff-time', 'staff-cover', 'GBP', 'Cover for the SENCo''s release time', 100),
                           (2, 'action-plan', 'action-plan', 'GBP', 'Sensory room equipment', 70),
                           (3, 'specialist-days', 'specialist-days', 'MIN', 'Specialist teacher days', 50))
                   AS v(n, kind, category, unit, description, share) ON (c.r / 100) % 100 < v.share
              JOIN claim cl ON cl.id = c.id
              JOIN budget_category cat ON cat.programme_id = cl.programme_id AND cat.code = v.category
            """);
        // Submit: one entry per claim holding each line (pending available -> payable, or -> used).
        await Exec("submit entries (holds)", """
            CREATE TEMP TABLE hold ON COMMIT DROP AS
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT cl.programme_id, per.starts_on + 10, 'Claim CL-' || lpad(c.id::text, 6, '0') || ' submitted', cl.created_by, 'claim', c.id
                  FROM c JOIN claim cl ON cl.id = c.id JOIN period per ON per.id = c.period_id
                 WHERE c.state <> 'draft' ORDER BY c.id
                RETURNING id, programme_id, value_date, recorded_at, cause_id),
            t AS (
                INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
                SELECT e.id, e.programme_id, cat.unit, ba.available, ba.claimed,
                       CASE WHEN cat.unit = 'GBP' THEN l.amount_pence ELSE l.minutes END, 'pending', e.value_date, e.recorded_at
                  FROM e JOIN c ON c.id = e.cause_id JOIN claim_line l ON l.claim_id = c.id
                  JOIN budget_category cat ON cat.id = coalesce(l.category_id, l.allowance_category_id)
                  JOIN bench_account ba ON ba.school_id = c.school_id AND ba.year_id = c.programme_year_id AND ba.category_id = cat.id
                 ORDER BY e.id, l.line_no
                RETURNING id, entry_id, debit_account_id)
            SELECT e.cause_id AS claim_id, t.id AS transfer_id, ba.category_id
              FROM t JOIN e ON e.id = t.entry_id JOIN bench_account ba ON ba.available = t.debit_account_id;
            CREATE INDEX ON hold (claim_id, category_id)
            """);
        await Exec("lines point at their holds; some approvals for less", """
            UPDATE claim_line l SET money_hold_id = CASE WHEN l.category_id IS NOT NULL THEN h.transfer_id END,
                                    time_hold_id = CASE WHEN l.allowance_category_id IS NOT NULL THEN h.transfer_id END,
                                    sanctioned_pence = CASE WHEN c.state IN ('approved', 'in-payment-run', 'paid') AND l.category_id IS NOT NULL
                                                            THEN CASE WHEN c.r % 10 = 0 AND l.line_no = 1 THEN l.amount_pence * 3 / 4 ELSE l.amount_pence END END,
                                    sanction_reason = CASE WHEN c.state IN ('approved', 'in-payment-run', 'paid') AND c.r % 10 = 0 AND l.line_no = 1
                                                           THEN 'Cover rate above the rate card: paid at the card rate' END
              FROM c, hold h
             WHERE l.claim_id = c.id AND h.claim_id = c.id AND h.category_id = coalesce(l.category_id, l.allowance_category_id)
            """);
        // Decisions: approval posts each hold (money for the sanctioned amount), rejection and withdrawal void them.
        await Exec("decision entries (post or void)", """
            WITH d AS (
                SELECT c.id, c.state, per.starts_on + 17 AS value_date FROM c JOIN period per ON per.id = c.period_id
                 WHERE c.state IN ('approved', 'in-payment-run', 'paid', 'rejected', 'withdrawn')),
            e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT cl.programme_id, d.value_date,
                       'Claim CL-' || lpad(d.id::text, 6, '0') || CASE WHEN d.state IN ('rejected', 'withdrawn')
                           THEN CASE d.state WHEN 'rejected' THEN ' reject' ELSE ' withdraw' END || ': hold released' ELSE ' approve' END,
                       cl.created_by, 'claim', d.id
                  FROM d JOIN claim cl ON cl.id = d.id ORDER BY d.id
                RETURNING id, programme_id, value_date, recorded_at, cause_id)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id, value_date, recorded_at)
            SELECT e.id, e.programme_id, t.unit, t.debit_account_id, t.credit_account_id,
                   CASE WHEN d.state IN ('rejected', 'withdrawn') THEN t.amount ELSE coalesce(l.sanctioned_pence, t.amount) END,
                   CASE WHEN d.state IN ('rejected', 'withdrawn') THEN 'void_pending' ELSE 'post_pending' END, t.id, e.value_date, e.recorded_at
              FROM e JOIN d ON d.id = e.cause_id JOIN claim_line l ON l.claim_id = d.id
              JOIN transfer t ON t.id = coalesce(l.money_hold_id, l.time_hold_id)
             ORDER BY e.id, l.line_no
            """);
        // As the service does: a rejected or withdrawn claim's lines let go of the holds its decision voided.
        await Exec("rejected and withdrawn claims' lines let go of their holds", """
            UPDATE claim_line l SET money_hold_id = NULL, time_hold_id = NULL
              FROM c WHERE l.claim_id = c.id AND c.state IN ('rejected', 'withdrawn')
            """);
        // Payment runs: per half-term, one paid run and (this year) one exported run awaiting confirmation.
        await Exec("payment runs and payees", $$"""
            CREATE TEMP TABLE owed ON COMMIT DROP AS
            SELECT c.id AS claim_id, c.school_id, c.programme_year_id, c.period_id, c.state, l.category_id, sum(l.sanctioned_pence) AS pence
              FROM c JOIN claim_line l ON l.claim_id = c.id
             WHERE c.state IN ('in-payment-run', 'paid') AND l.category_id IS NOT NULL AND l.sanctioned_pence > 0
             GROUP BY 1, 2, 3, 4, 5, 6;
            CREATE INDEX ON owed (period_id, state, school_id); ANALYZE owed;
            CREATE TEMP TABLE run ON COMMIT DROP AS WITH ins AS (
                INSERT INTO payment_run (programme_id, state, period_id, as_of, total_pence, payee_count, claim_count, built_by, built_at,
                                         approved_by, approved_at, exported_by, exported_at, file, file_sha256, paid_at, updated_at)
                SELECT p.id, CASE WHEN o.state = 'paid' THEN 'paid' ELSE 'exported' END, o.period_id, per.starts_on + 20, sum(o.pence),
                       count(DISTINCT o.school_id), count(DISTINCT o.claim_id), f1.id, per.starts_on + 20, f2.id, per.starts_on + 20,
                       f1.id, per.starts_on + 21, convert_to('seeded by GrantLedger.Bench seed-national', 'UTF8'),
                       sha256(convert_to('seeded by GrantLedger.Bench seed-national', 'UTF8')),
                       CASE WHEN o.state = 'paid' THEN per.starts_on + 28 END, per.starts_on + 28
                  FROM owed o JOIN period per ON per.id = o.period_id JOIN programme p ON p.code = '{{Code}}'
                  JOIN app_user f1 ON f1.user_name = 'pins-finance' JOIN app_user f2 ON f2.user_name = 'pins-finance-2'
                 GROUP BY p.id, o.state, o.period_id, per.starts_on, f1.id, f2.id
                 ORDER BY o.period_id, o.state DESC
                RETURNING id, period_id, state)
            SELECT ins.id, ins.period_id, CASE WHEN ins.state = 'paid' THEN 'paid' ELSE 'in-payment-run' END AS claim_state FROM ins;
            -- a paid run's payments confirmed by an imported confirmations file, one per run (a claim is marked paid on one: 0086)
            CREATE TEMP TABLE confirmation ON COMMIT DROP AS WITH ins AS (
                INSERT INTO payment_confirmation_import (programme_id, file_name, file_sha256, imported_by, imported_at, paid, failed, unchanged, mismatched, report)
                SELECT p.id, 'confirmations-' || r.id || '.csv', sha256(convert_to('confirmations of ' || r.id, 'UTF8')), f.id, per.starts_on + 28,
                       (SELECT count(DISTINCT o.school_id) FROM owed o WHERE o.period_id = r.period_id AND o.state = 'paid'), 0, 0, 0, '[]'
                  FROM run r JOIN period per ON per.id = r.period_id JOIN programme p ON p.code = '{{Code}}'
                  JOIN app_user f ON f.user_name = 'pins-finance'
                 WHERE r.claim_state = 'paid' ORDER BY r.id
                RETURNING id, file_name)
            SELECT ins.id, substring(ins.file_name FROM 'confirmations-([0-9]+)')::bigint AS run_id FROM ins;
            INSERT INTO payment_run_payee (payment_run_id, school_id, amount_pence, remittance_reference, payee_reference, status, paid_on, confirmed_at,
                                           confirmation_id)
            SELECT r.id, o.school_id, sum(o.pence), 'PR' || lpad(r.id::text, 6, '0') || '-' || s.urn, s.payee_reference,
                   CASE WHEN r.claim_state = 'paid' THEN 'paid' ELSE 'pending' END,
                   CASE WHEN r.claim_state = 'paid' THEN per.starts_on + 28 END, CASE WHEN r.claim_state = 'paid' THEN (per.starts_on + 28)::timestamptz END,
                   min(cf.id)
              FROM owed o JOIN run r ON r.period_id = o.period_id AND r.claim_state = o.state JOIN school s ON s.id = o.school_id
              JOIN period per ON per.id = o.period_id
              LEFT JOIN confirmation cf ON cf.run_id = r.id
             GROUP BY r.id, r.claim_state, o.school_id, s.urn, s.payee_reference, per.starts_on
             ORDER BY r.id, o.school_id
            """);
        // Payments confirmed: one entry per paid payee, payable -> paid per category.
        await Exec("payment entries", """
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT r.programme_id, py.paid_on, 'Payment PR-' || lpad(r.id::text, 6, '0') || ' to ' || s.name || ' (' || s.urn || '), remittance ' || py.remittance_reference,
                       r.exported_by, 'payment_run', r.id
                  FROM payment_run_payee py JOIN run ON run.id = py.payment_run_id AND run.claim_state = 'paid'
                  JOIN payment_run r ON r.id = py.payment_run_id JOIN school s ON s.id = py.school_id
                 ORDER BY py.id
                RETURNING id, programme_id, value_date, recorded_at, cause_id, substring(description FROM '\(([0-9]{6})\), remittance') AS urn)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', ba.claimed, ba.paid, sum(o.pence), 'posted', e.value_date, e.recorded_at
              FROM e JOIN run ON run.id = e.cause_id
              JOIN school s ON s.programme_id = e.programme_id AND s.urn = e.urn
              JOIN owed o ON o.period_id = run.period_id AND o.state = 'paid' AND o.school_id = s.id
              JOIN bench_account ba ON ba.school_id = o.school_id AND ba.category_id = o.category_id AND ba.year_id = o.programme_year_id
             GROUP BY e.id, e.programme_id, e.value_date, e.recorded_at, ba.claimed, ba.paid
             ORDER BY e.id, ba.claimed
            """);
        // Each claim's history: the lifecycle's moves from draft to its state, in order, dated as its entries are, each
        // naming the entry it posted (migration 0057 checks at commit that every claim's rows are one path to its state).
        await Exec("claim history (each claim's path to its state)", """
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id, details)
            SELECT c.id, v.trigger, v.from_state, v.to_state, u.id, u.role, (per.starts_on + v.day)::timestamptz,
                   CASE v.trigger WHEN 'reject' THEN 'Not within the programme''s eligible costs' END, coalesce(e.id, pe.id),
                   -- a run's moves name the run, as the service's (RunClaims): what a run's payees and a school's payments read
                   CASE WHEN v.finance THEN jsonb_build_object('paymentRunId', r.id) ELSE '{}'::jsonb END
              FROM c JOIN claim cl ON cl.id = c.id JOIN period per ON per.id = c.period_id
              LEFT JOIN run r ON r.period_id = c.period_id AND r.claim_state = c.state
              -- each move, with the states of the claims whose path takes it
              JOIN (VALUES (1, 'submit', 'draft', 'submitted', 10, ' submitted', false,
                            ARRAY['submitted', 'withdrawn', 'under-review', 'awaiting-second-approval', 'rejected', 'approved', 'in-payment-run', 'paid']),
                           (2, 'withdraw', 'submitted', 'withdrawn', 17, ' withdraw: hold released', false, ARRAY['withdrawn']),
                           (2, 'start-review', 'submitted', 'under-review', 12, NULL, false,
                            ARRAY['under-review', 'awaiting-second-approval', 'rejected', 'approved', 'in-payment-run', 'paid']),
                           (3, 'approve', 'under-review', 'awaiting-second-approval', 15, NULL, false, ARRAY['awaiting-second-approval']),
                           (3, 'approve', 'under-review', 'approved', 17, ' approve', false, ARRAY['approved', 'in-payment-run', 'paid']),
                           (3, 'reject', 'under-review', 'rejected', 17, ' reject: hold released', false, ARRAY['rejected']),
                           (4, 'add-to-payment-run', 'approved', 'in-payment-run', 20, NULL, true, ARRAY['in-payment-run', 'paid']),
                           (5, 'mark-paid', 'in-payment-run', 'paid', 28, NULL, true, ARRAY['paid']))
                   AS v(step, trigger, from_state, to_state, day, entry, finance, states) ON c.state = ANY (v.states)
              -- each move by its role (migration 0086): finance, the school's business manager, the board's lead
              JOIN school s ON s.id = cl.school_id JOIN area a ON a.id = s.area_id
              JOIN app_user u ON u.normalized_user_name = CASE WHEN v.finance THEN 'PINS-FINANCE'
                                                               WHEN v.trigger IN ('submit', 'withdraw') THEN upper('pins-sbm-' || s.urn)
                                                               ELSE upper('pins-lead-' || a.code) END
              LEFT JOIN journal_entry e ON v.entry IS NOT NULL AND e.cause_type = 'claim' AND e.cause_id = c.id
                                       AND e.description = 'Claim CL-' || lpad(c.id::text, 6, '0') || v.entry
              -- marked paid with its school's payment entry in the run
              LEFT JOIN payment_run_payee py ON v.trigger = 'mark-paid' AND py.payment_run_id = r.id AND py.school_id = cl.school_id
              LEFT JOIN journal_entry pe ON pe.cause_type = 'payment_run' AND pe.cause_id = py.payment_run_id
                                        AND pe.description = 'Payment PR-' || lpad(r.id::text, 6, '0') || ' to ' || s.name || ' (' || s.urn
                                                             || '), remittance ' || py.remittance_reference
             ORDER BY c.id, v.step
            """);
        // The claims jump from draft to their states in one statement, where migration 0052 asks each state change for its
        // own history row written at that moment: that check is off for this statement only. Who submitted and decided each,
        // when and why, are its history's, as each move writes them on the claim (migration 0088, which that check holds):
        // each claim's path makes each move once.
        await BenchClaims.WithoutHistoryCheckAsync(conn, tx, () => Exec("claims move to their states", """
            UPDATE claim cl
               SET state = c.state,
                   submitted_by = h.submitted_by, submitted_at = h.submitted_at, first_approved_by = h.first_approved_by,
                   decided_by = h.decided_by, decided_at = h.decided_at, reason = h.reason,
                   payment_run_id = r.id,
                   updated_at = now()
              FROM c LEFT JOIN run r ON r.period_id = c.period_id AND r.claim_state = c.state
              CROSS JOIN LATERAL (
                  SELECT max(t.actor_id) FILTER (WHERE t.trigger = 'submit') AS submitted_by,
                         max(t.occurred_at) FILTER (WHERE t.trigger = 'submit') AS submitted_at,
                         max(t.actor_id) FILTER (WHERE t.trigger = 'approve') AS first_approved_by,
                         max(t.actor_id) FILTER (WHERE t.trigger IN ('withdraw', 'reject') OR t.to_state = 'approved' AND t.trigger = 'approve') AS decided_by,
                         max(t.occurred_at) FILTER (WHERE t.trigger IN ('withdraw', 'reject') OR t.to_state = 'approved' AND t.trigger = 'approve') AS decided_at,
                         max(t.reason) FILTER (WHERE t.trigger = 'reject') AS reason
                    FROM claim_transition t WHERE t.claim_id = c.id) h
             WHERE cl.id = c.id
            """));
        // Each run's payment file as an export writes it, a line a payee (about 2 MB for a run of 20,000 schools), where the
        // seed wrote a placeholder of 41 bytes: reads that carried a run's file went unseen. A file is written once, with the
        // run's export, and its guards refuse it after: off for this statement only (triggers do not fire for a replica's
        // session), on a seed's own cluster.
        await Exec("payment files", """
            SET LOCAL session_replication_role = replica;
            WITH claims AS (
                SELECT payment_run_id, school_id, string_agg('CLM-' || lpad(id::text, 6, '0'), ';' ORDER BY id) AS refs
                  FROM claim WHERE payment_run_id IN (SELECT id FROM run) GROUP BY 1, 2),
            files AS (
                SELECT py.payment_run_id, convert_to(string_agg(concat_ws(',', 'D', 'PR-' || lpad(py.payment_run_id::text, 6, '0'), s.urn,
                           '"' || replace(s.name, '"', '""') || '"', py.payee_reference,
                           (py.amount_pence / 100)::text || '.' || lpad((py.amount_pence % 100)::text, 2, '0'), py.remittance_reference, cl.refs),
                           E'\n' ORDER BY py.id) || E'\n', 'UTF8') AS bytes
                  FROM payment_run_payee py JOIN run ON run.id = py.payment_run_id JOIN school s ON s.id = py.school_id
                  LEFT JOIN claims cl ON cl.payment_run_id = py.payment_run_id AND cl.school_id = py.school_id
                 GROUP BY py.payment_run_id)
            UPDATE payment_run r SET file = f.bytes, file_sha256 = sha256(f.bytes) FROM files f WHERE r.id = f.payment_run_id;
            SET LOCAL session_replication_role = origin;
            """);
        // The deferred check that each new entry has transfers plans with the statistics it finds:
        // give it this year's rows, or it scans the transfer table once per entry.
        await Exec("analyse before commit", "ANALYZE journal_entry; ANALYZE transfer; ANALYZE claim; ANALYZE claim_line");
        var commit = Stopwatch.StartNew();
        await tx.CommitAsync();
        report.WriteLine($"  commit (every entry checked complete): {commit.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task CountsAsync(BenchCluster db, long programmeId, TextWriter report)
    {
        report.WriteLine($"programme {programmeId}: " +
            $"{await db.Scalar("SELECT count(*) FROM school WHERE programme_id = $1", programmeId):N0} schools, " +
            $"{await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", programmeId):N0} accounts, " +
            $"{await db.Scalar("SELECT count(*) FROM claim WHERE programme_id = $1", programmeId):N0} claims, " +
            $"{await db.Scalar("SELECT count(*) FROM journal_entry WHERE programme_id = $1", programmeId):N0} journal entries, " +
            $"{await db.Scalar("SELECT count(*) FROM transfer WHERE programme_id = $1", programmeId):N0} transfers (ledger lines), " +
            $"{await db.Scalar("SELECT count(*) FROM payment_run WHERE programme_id = $1", programmeId):N0} payment runs, " +
            $"database {await db.Scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")}");
        await using var cmd = db.DataSource.CreateCommand(
            "SELECT y.code, c.state, count(*) FROM claim c JOIN programme_year y ON y.id = c.programme_year_id WHERE c.programme_id = $1 GROUP BY 1, 2 ORDER BY 1, 2");
        cmd.Parameters.Add(new() { Value = programmeId });
        await using var rows = await cmd.ExecuteReaderAsync();
        var byYear = new List<string>();
        while (await rows.ReadAsync()) byYear.Add($"{rows.GetString(0)} {rows.GetString(1)} {rows.GetInt64(2):N0}");
        report.WriteLine("claims by year and state: " + string.Join("; ", byYear));
    }

    /// <summary>
    /// Every check <c>audit check</c> runs holds (balances, the trial balance, limits, each claim's holds, row and history,
    /// staff days, payees paid once); and, the seed's own, payees are what their claims come to and each move that posts
    /// has its entry.
    /// </summary>
    private static async Task VerifyAsync(BenchCluster db, long programmeId, TextWriter report)
    {
        var clock = Stopwatch.StartNew();
        var payeesOff = (long)(await db.Scalar("""
            SELECT count(*) FROM payment_run_payee py JOIN payment_run r ON r.id = py.payment_run_id
             WHERE r.programme_id = $1 AND py.amount_pence <> (
                SELECT coalesce(sum(coalesce(l.sanctioned_pence, l.amount_pence)), 0) FROM claim c JOIN claim_line l ON l.claim_id = c.id
                 WHERE c.payment_run_id = r.id AND c.school_id = py.school_id AND l.category_id IS NOT NULL AND l.money_hold_id IS NOT NULL)
            """, programmeId))!;
        var entriesOff = (long)(await db.Scalar("""
            SELECT count(*) FROM claim_transition t JOIN claim c ON c.id = t.claim_id
              LEFT JOIN journal_entry e ON e.id = t.entry_id AND e.cause_type = 'claim' AND e.cause_id = t.claim_id
             WHERE c.programme_id = $1 AND (t.trigger IN ('submit', 'approve', 'reject', 'withdraw') AND t.to_state <> 'awaiting-second-approval')
                   <> (e.id IS NOT NULL)
            """, programmeId))!;
        report.WriteLine($"checks ({clock.Elapsed.TotalSeconds:F1} s): payees that differ from their claims: {payeesOff}; " +
                         $"moves that post without their entry, or the reverse: {entriesOff}");
        if (payeesOff + entriesOff != 0) throw new InvalidOperationException("the seeded ledger does not tie");
        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.All));
    }

    /// <summary>A school business manager reading one of their accounts' statement, through LedgerReads.StatementAsync.</summary>
    private static async Task StatementReadsAsync(BenchCluster db, long programmeId, int reads, TextWriter report)
    {
        var userId = (long)(await db.Scalar("SELECT id FROM app_user WHERE user_name = 'pins-admin'"))!;
        var accounts = new List<(long Account, long School)>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT a.id, a.school_id FROM account a JOIN programme_year y ON y.id = a.programme_year_id
             WHERE a.programme_id = $1 AND a.code LIKE '%:available' ORDER BY hashint4(a.id::int) LIMIT $2
            """))
        {
            cmd.Parameters.Add(new() { Value = programmeId });
            cmd.Parameters.Add(new() { Value = reads });
            await using var rows = await cmd.ExecuteReaderAsync();
            while (await rows.ReadAsync()) accounts.Add((rows.GetInt64(0), rows.GetInt64(1)));
        }
        var options = new DbContextOptionsBuilder<GrantLedgerDb>().UseNpgsql(db.DataSource).Options;
        async Task<(double[] Ms, double Lines)> Measure(DateOnly? from, int count)
        {
            var ms = new List<double>();
            long lines = 0;
            foreach (var (account, school) in accounts.Take(count))
            {
                var caller = new CurrentUser(userId, "school-user", Roles.SchoolBusinessManager, programmeId, null, school);
                var t0 = Stopwatch.GetTimestamp();
                await using var ledger = new GrantLedgerDb(options);
                var statement = await LedgerReads.StatementAsync(ledger, caller, account, from, null, null, null, 0, CancellationToken.None);
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                lines += statement.Lines.Count;
            }
            var sorted = ms.Skip(Math.Min(5, ms.Count / 10)).Order().ToArray(); // the first few warm up EF and the JIT
            return (sorted, (double)lines / ms.Count);
        }
        var all = await Measure(null, reads);
        report.WriteLine($"statement of a school's account, whole history ({all.Ms.Length} reads, {all.Lines:F1} lines on average): " +
                         $"p50 {PostingBench.Percentile(all.Ms, 0.5):F1} ms, p99 {PostingBench.Percentile(all.Ms, 0.99):F1} ms");
        var fromCount = Math.Max(20, reads / 10);
        var fromYear = await Measure(new DateOnly(2026, 9, 1), fromCount);
        report.WriteLine($"statement from 1 September 2026 (opening balance as of the day before) ({fromYear.Ms.Length} reads): " +
                         $"p50 {PostingBench.Percentile(fromYear.Ms, 0.5):F1} ms, p99 {PostingBench.Percentile(fromYear.Ms, 0.99):F1} ms");
    }
}
