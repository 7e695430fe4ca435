using System.Diagnostics;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Bench;

/// <summary>
/// A national payment run: 24,000 schools, each with an approved claim (seeded with bulk SQL that
/// goes through the ledger as the service would: a pending hold on submit, posted on approval),
/// then the service's own PaymentRuns.BuildAsync, a second user's approval, ExportAsync, and the finance system's
/// confirmations of every payment imported (Confirmations.ImportAsync: each payee posted payable → paid and its claim
/// marked paid), timed. Each round seeds a fresh batch of approved claims in the next half-term.
/// </summary>
public static class PaymentRunBench
{
    private static readonly string[] HalfTerms = ["aut1", "aut2", "spr1", "spr2", "sum1", "sum2"];

    public static async Task<int> RunAsync(int schools, int rounds, string? cluster, int? logSlowMs, TextWriter report)
    {
        await using var db = await BenchCluster.StartAsync(cluster);
        if (logSlowMs is { } ms) await db.LogSlowStatementsAsync(ms);
        var seedClock = Stopwatch.StartNew();
        var p = await BenchProgramme.SeedAsync(db, schools, historyEntries: 0);
        var builder = (long)(await db.Scalar("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id)
            VALUES ('bench-finance', 'BENCH-FINANCE', 'Bench finance', 'funder_finance', $1) RETURNING id
            """, p.ProgrammeId))!;
        var approver = (long)(await db.Scalar("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id)
            VALUES ('bench-finance-2', 'BENCH-FINANCE-2', 'Bench finance 2', 'funder_finance', $1) RETURNING id
            """, p.ProgrammeId))!;
        await db.Exec("""
            INSERT INTO period (programme_year_id, code, name, starts_on, ends_on)
            SELECT y.id, v.code, v.name, v.starts_on::date, v.ends_on::date
              FROM programme_year y,
                   (VALUES ('aut1', 'Autumn 1', '2026-09-01', '2026-10-23'), ('aut2', 'Autumn 2', '2026-10-24', '2026-12-18'),
                           ('spr1', 'Spring 1', '2026-12-19', '2027-02-12'), ('spr2', 'Spring 2', '2027-02-13', '2027-03-26'),
                           ('sum1', 'Summer 1', '2027-03-27', '2027-05-28'), ('sum2', 'Summer 2', '2027-05-29', '2027-08-31'))
                   AS v(code, name, starts_on, ends_on)
             WHERE y.programme_id = $1
            """, p.ProgrammeId);
        report.WriteLine($"cluster: {await db.SettingsAsync()}");
        report.WriteLine($"seeded {schools:N0} schools with their accounts in {seedClock.Elapsed.TotalSeconds:F1} s");
        var finance = new CurrentUser(builder, "bench-finance", Roles.FunderFinance, p.ProgrammeId, null, null);
        var second = new CurrentUser(approver, "bench-finance-2", Roles.FunderFinance, p.ProgrammeId, null, null);

        report.WriteLine();
        report.WriteLine("| round | approved claims seeded (s) | payees | build (s) | approve (s) | export (s) | build + export (s) | file (bytes) | confirmations imported (s) |");
        report.WriteLine("|---|---|---|---|---|---|---|---|---|");
        for (var round = 1; round <= rounds; round++)
        {
            var seed = Stopwatch.StartNew();
            await SeedApprovedClaimsAsync(db, p, HalfTerms[(round - 1) % HalfTerms.Length]);
            seed.Stop();

            var build = Stopwatch.StartNew();
            var run = await WithServiceAsync(db, finance, (ledger, audit) =>
                PaymentRuns.BuildAsync(ledger, audit, finance, p.ProgrammeId, new PaymentRuns.NewRun(null, null, null), CancellationToken.None));
            build.Stop();
            var approve = Stopwatch.StartNew();
            await WithServiceAsync(db, second, (ledger, audit) =>
                PaymentRuns.FireAsync(ledger, audit, second, run.Id, PaymentRunTrigger.Approve, null, null, CancellationToken.None));
            approve.Stop();
            var export = Stopwatch.StartNew();
            var exported = await WithServiceAsync(db, finance, (ledger, audit) =>
                PaymentRuns.ExportAsync(ledger, audit, finance, run.Id, null, CancellationToken.None));
            export.Stop();

            if (run.PayeeCount != schools) throw new InvalidOperationException($"the run has {run.PayeeCount} payees, not {schools}");
            var lines = exported.PaymentFile!.File!.Count(b => b == (byte)'\n');
            if (lines != schools + 2) throw new InvalidOperationException($"the payment file has {lines} lines, not {schools + 2}");
            // the finance system's file: every payment made today
            var csv = new System.Text.StringBuilder("remittance_reference,amount,date,status\n");
            await using (var payees = db.DataSource.CreateCommand("SELECT remittance_reference, amount_pence FROM payment_run_payee WHERE payment_run_id = $1 ORDER BY id"))
            {
                payees.Parameters.Add(new() { Value = run.Id });
                await using var reader = await payees.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    csv.Append(reader.GetString(0)).Append(',').Append(new Core.Money.Money(reader.GetInt64(1)).ToDecimalString()).Append(',')
                       .Append(Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd")).Append(",paid\n");
            }
            var confirm = Stopwatch.StartNew();
            var confirmed = await WithServiceAsync(db, finance, (ledger, audit) =>
                Confirmations.ImportAsync(ledger, audit, finance, p.ProgrammeId, "confirmations.csv",
                    new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv.ToString())), CancellationToken.None));
            confirm.Stop();
            if (confirmed.Paid != schools) throw new InvalidOperationException($"{confirmed.Paid} payments confirmed paid, not {schools}");
            if ((string?)await db.Scalar("SELECT state FROM payment_run WHERE id = $1", run.Id) != "paid")
                throw new InvalidOperationException($"run {run.Id} is not paid after every payment was confirmed");
            report.WriteLine($"| {round}{(round == 1 ? " (cold)" : "")} | {seed.Elapsed.TotalSeconds:F1} | {run.PayeeCount:N0} | {build.Elapsed.TotalSeconds:F2} | " +
                             $"{approve.Elapsed.TotalSeconds:F2} | {export.Elapsed.TotalSeconds:F2} | " +
                             $"{(build.Elapsed + export.Elapsed).TotalSeconds:F2} | {exported.PaymentFile!.File!.Length:N0} | {confirm.Elapsed.TotalSeconds:F2} |");
        }
        report.WriteLine("round 1 is the process's first use of EF Core (model building, JIT): a running service has paid that already.");
        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.All));
        return 0;
    }

    /// <summary>The service's use-case code with the same DbContext and audit trail the host would give it.</summary>
    private static async Task<T> WithServiceAsync<T>(BenchCluster db, CurrentUser caller, Func<GrantLedgerDb, AuditTrail, Task<T>> work)
    {
        await using var ledger = new GrantLedgerDb(new DbContextOptionsBuilder<GrantLedgerDb>().UseNpgsql(db.DataSource).Options);
        var audit = new AuditTrail(ledger, new HttpContextAccessor(), db.DataSource) { ActingOutsideRequests = caller };
        return await work(ledger, audit);
    }

    /// <summary>
    /// One approved claim per school in a half-term, as the workflow leaves it: a draft with one line,
    /// a submit entry holding the money (pending available → payable), an approval entry posting the
    /// hold in full, the claim approved yesterday, and its two transitions.
    /// </summary>
    public static async Task SeedApprovedClaimsAsync(BenchCluster db, BenchProgramme p, string halfTerm)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var steps = new List<string>();
        async Task Exec(string sql)
        {
            var clock = Stopwatch.StartNew();
            await using var cmd = new Npgsql.NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            cmd.Parameters.Add(new() { Value = p.ProgrammeId });
            cmd.Parameters.Add(new() { Value = halfTerm });
            await cmd.ExecuteNonQueryAsync();
            steps.Add($"{clock.Elapsed.TotalSeconds:F1}");
        }
        // each school's claim created and submitted by its own business manager, reviewed and approved by the bench area's lead
        // (migration 0086 holds the lifecycle's roles, scopes and separation of duties; migration 0089 a submission's too)
        await Exec("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id)
            SELECT 'bench-sbm-' || s.urn, 'BENCH-SBM-' || s.urn, 'School business manager ' || s.urn, 'school_business_manager', s.programme_id, s.id
              FROM school s WHERE s.programme_id = $1 AND $2 IS NOT NULL ORDER BY s.id
            ON CONFLICT (normalized_user_name) DO NOTHING
            """);
        await Exec("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, area_id)
            SELECT 'bench-lead', 'BENCH-LEAD', 'Bench lead', 'area_lead', $1, min(a.id) FROM area a
             WHERE a.programme_id = $1 AND $2 IS NOT NULL
            ON CONFLICT (normalized_user_name) DO NOTHING
            """);
        await Exec("""
            CREATE TEMP TABLE new_claim ON COMMIT DROP AS
            WITH c AS (
                INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by, description)
                SELECT s.programme_id, y.id, per.id, s.id, u.id, 'Staff cover ' || $2
                  FROM school s JOIN programme_year y ON y.programme_id = s.programme_id
                  JOIN period per ON per.programme_year_id = y.id AND per.code = $2
                  JOIN app_user u ON u.normalized_user_name = 'BENCH-SBM-' || s.urn
                 WHERE s.programme_id = $1 ORDER BY s.id
                RETURNING id, school_id, created_by)
            SELECT c.id, c.school_id, c.created_by FROM c
            """);
        await Exec("""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description)
            SELECT c.id, 1, 'staff-time', cat.id, 10000 + (c.id * 7919) % 500000, 'Cover for SENCo release'
              FROM new_claim c, budget_category cat WHERE cat.programme_id = $1 AND cat.code = 'staff-cover' AND $2 IS NOT NULL
            """);
        await Exec("""
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT $1, per.starts_on + 14, 'Claim CL-' || c.id || ' submitted', c.created_by, 'claim', c.id
                  FROM new_claim c JOIN claim cl ON cl.id = c.id JOIN period per ON per.id = cl.period_id AND per.code = $2
                RETURNING id, programme_id, value_date, recorded_at, cause_id)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', av.id, pa.id, l.amount_pence, 'pending', e.value_date, e.recorded_at
              FROM e JOIN new_claim c ON c.id = e.cause_id JOIN claim_line l ON l.claim_id = c.id
              JOIN account av ON av.school_id = c.school_id AND av.code LIKE '%:staff-cover:available'
              JOIN account pa ON pa.school_id = c.school_id AND pa.code LIKE '%:staff-cover:payable'
            """);
        await Exec("""
            UPDATE claim_line l SET money_hold_id = t.id
              FROM new_claim c JOIN journal_entry e ON e.cause_type = 'claim' AND e.cause_id = c.id
              JOIN transfer t ON t.entry_id = e.id AND t.kind = 'pending'
             WHERE l.claim_id = c.id AND $1 IS NOT NULL AND $2 IS NOT NULL
            """);
        await Exec("""
            WITH h AS (
                SELECT c.id AS claim_id, t.* FROM new_claim c JOIN claim_line l ON l.claim_id = c.id JOIN transfer t ON t.id = l.money_hold_id),
            e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id)
                SELECT $1, h.value_date + 7, 'Claim CL-' || h.claim_id || ' approved', lead.id, 'claim', h.claim_id
                  FROM h, (SELECT u.id FROM app_user u WHERE u.normalized_user_name = 'BENCH-LEAD') lead WHERE $2 IS NOT NULL
                RETURNING id, programme_id, value_date, recorded_at, cause_id)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id, value_date, recorded_at)
            SELECT e.id, e.programme_id, h.unit, h.debit_account_id, h.credit_account_id, h.amount, 'post_pending', h.id, e.value_date, e.recorded_at
              FROM e JOIN h ON h.claim_id = e.cause_id
            """);
        // approved as its history says (migration 0088): submitted by its creator, approved by the lead
        await BenchClaims.WithoutHistoryCheckAsync(conn, tx, () => Exec("""
            UPDATE claim cl SET state = 'approved', submitted_by = c.created_by, submitted_at = now() - interval '9 days',
                   first_approved_by = lead.id, decided_by = lead.id, decided_at = now() - interval '1 day', updated_at = now()
              FROM new_claim c, (SELECT u.id FROM app_user u WHERE u.normalized_user_name = 'BENCH-LEAD') lead
             WHERE cl.id = c.id AND cl.programme_id = $1 AND $2 IS NOT NULL
            """));
        await Exec("""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, entry_id)
            SELECT c.id, v.trigger, v.from_state, v.to_state, CASE WHEN v.role = 'area_lead' THEN lead.id ELSE c.created_by END, v.role, now() - v.ago, e.id
              FROM new_claim c
              CROSS JOIN (SELECT u.id FROM app_user u WHERE u.normalized_user_name = 'BENCH-LEAD') lead
              CROSS JOIN (VALUES ('submit', 'draft', 'submitted', interval '9 days', ' submitted', 'school_business_manager'),
                                 ('start-review', 'submitted', 'under-review', interval '5 days', NULL, 'area_lead'),
                                 ('approve', 'under-review', 'approved', interval '1 day', ' approved', 'area_lead')) AS v(trigger, from_state, to_state, ago, suffix, role)
              LEFT JOIN journal_entry e ON e.cause_type = 'claim' AND e.cause_id = c.id AND e.description = 'Claim CL-' || c.id || v.suffix
             WHERE $1 IS NOT NULL AND $2 IS NOT NULL
             ORDER BY c.id, v.ago DESC -- each claim's history one path, in order (migration 0057)
            """);
        // At commit every new entry is checked to have transfers (a deferred trigger). Statistics from
        // before this batch (a few entries with thousands of transfers each) make that check a
        // sequential scan: analyse with the new rows in first.
        await using (var analyse = new Npgsql.NpgsqlCommand("ANALYZE journal_entry, transfer", conn, tx) { CommandTimeout = 0 })
            await analyse.ExecuteNonQueryAsync();
        var commit = Stopwatch.StartNew();
        await tx.CommitAsync();
        Console.WriteLine($"  seeding steps (s): {string.Join(" ", steps)}; commit {commit.Elapsed.TotalSeconds:F1}");
        await db.Exec("ANALYZE claim; ANALYZE claim_line; ANALYZE journal_entry; ANALYZE transfer; ANALYZE account");
    }
}
