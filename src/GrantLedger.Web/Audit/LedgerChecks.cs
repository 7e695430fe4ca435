using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// The ledger's invariants checked over the rows as they stand, with plain SQL: balances tie to their transfers, the trial
/// balance is zero, no limited account is past its limit, each claim's holds and row agree with its lines and its history,
/// staff days with the claims, each payee is paid once. PostgreSQL refuses a write that would break them; these checks ask
/// whether the rows hold them now, whatever wrote them: the service before a rule was added (a migration checks its own
/// rule's old rows once, as it runs), a restore made with the triggers off, or someone with the owner's keys. Each check
/// lists what breaks it, so an empty answer is a pass and any other names the culprits. <c>audit check</c> runs them over
/// every programme or one, <c>GET /api/v1/audit/programmes/{id}/checks</c> and <c>/ledger/checks</c> over one; the
/// reliability tests run them after every crash, outage, race and restore, and the benchmarks over the ledgers they leave.
/// </summary>
public static class LedgerChecks
{
    /// <param name="Name">what holds, in words</param>
    /// <param name="Sql">a query giving, for each row that breaks it, the row's programme and a line of text naming it</param>
    public sealed record Check(string Name, string Sql);

    /// <param name="Found">what breaks the check, at most the number asked for</param>
    /// <param name="More">whether more than that was found</param>
    public sealed record Result(string Name, IReadOnlyList<string> Found, bool More)
    {
        public bool Holds => Found.Count == 0;
    }

    /// <summary>Every check: <see cref="Accounts"/>, then <see cref="Records"/>.</summary>
    public static IReadOnlyList<Check> All => [.. Accounts, .. Records];

    /// <summary>The accounts' checks and <see cref="AwaitingClaimsHoldTheirLines"/>: what a ledger holds where claims are submitted beside entries no claim wrote.</summary>
    public static IReadOnlyList<Check> AccountsAndSubmittedClaims => [.. Accounts, AwaitingClaimsHoldTheirLines];

    /// <summary>
    /// The accounts alone: balances, the trial balance, limits, entries with transfers. What a ledger holds whatever wrote its
    /// entries, such as the benchmarks' ceilings, which post claim entries with no claim behind them.
    /// </summary>
    public static readonly IReadOnlyList<Check> Accounts =
    [
        new("account balances equal the sum of their transfers", """
            SELECT a.programme_id, a.code || ' ' || a.unit || ': stored ' || row(a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)::text
                   || ' but transfers give ' || row(coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))::text
              FROM account a
              LEFT JOIN (SELECT account_id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dq, sum(credits_pending) cq
                           FROM transfer_effect GROUP BY account_id) e ON e.account_id = a.id
             WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                   IS DISTINCT FROM (coalesce(e.dp, 0)::bigint, coalesce(e.cp, 0)::bigint, coalesce(e.dq, 0)::bigint, coalesce(e.cq, 0)::bigint)
            """),
        new("the trial balance is zero per programme and unit", """
            SELECT programme_id, programme_id || ' ' || unit || ': debits ' || sum(debits_posted) || ' credits ' || sum(credits_posted)
                   || ' pending debits ' || sum(debits_pending) || ' pending credits ' || sum(credits_pending)
              FROM account GROUP BY programme_id, unit
            HAVING sum(debits_posted) <> sum(credits_posted) OR sum(debits_pending) <> sum(credits_pending)
            """),
        new("no limited account is past its limit (available never negative)", """
            SELECT programme_id, code || ' ' || unit || ' available ' ||
                   CASE limit_kind WHEN 'debits_within_credits' THEN credits_posted - debits_posted - debits_pending
                                   ELSE debits_posted - credits_posted - credits_pending END
              FROM account
             WHERE (limit_kind = 'debits_within_credits' AND debits_posted + debits_pending > credits_posted)
                OR (limit_kind = 'credits_within_debits' AND credits_posted + credits_pending > debits_posted)
            """),
        new("every journal entry has transfers", """
            SELECT e.programme_id, 'entry ' || e.id FROM journal_entry e WHERE NOT EXISTS (SELECT 1 FROM transfer t WHERE t.entry_id = e.id)
            """),
    ];

    /// <summary>
    /// A claim awaiting a decision holds each line's money, unresolved: what a submission writes, which the benchmarks that
    /// submit claims check beside the accounts' four.
    /// </summary>
    public static readonly Check AwaitingClaimsHoldTheirLines = new("a claim awaiting a decision holds each line's money, unresolved", """
            SELECT c.programme_id, 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' hold ' || coalesce(l.money_hold_id::text, 'missing')
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              LEFT JOIN transfer h ON h.id = l.money_hold_id
             WHERE c.state IN ('submitted', 'under-review', 'awaiting-second-approval')
               AND l.category_id IS NOT NULL AND l.amount_pence > 0
               AND (h.id IS NULL OR h.kind <> 'pending' OR h.amount <> l.amount_pence
                    OR EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = h.id))
            """);

    /// <summary>The records behind the entries: claims, their lines, holds and history, staff days, payment runs' payees.</summary>
    public static readonly IReadOnlyList<Check> Records =
    [
        new("a claim's state is its last recorded transition", """
            SELECT c.programme_id, 'claim ' || c.id || ' is ' || c.state || ' but its history ends ' || coalesce(last.to_state, '(nothing)')
              FROM claim c
              LEFT JOIN LATERAL (SELECT to_state FROM claim_transition t WHERE t.claim_id = c.id ORDER BY t.id DESC LIMIT 1) last ON true
             WHERE c.state <> coalesce(last.to_state, 'draft')
            """),
        AwaitingClaimsHoldTheirLines,
        new("a decided claim's holds are resolved once, for what was sanctioned", """
            SELECT c.programme_id, 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' hold ' || coalesce(l.money_hold_id::text, 'missing')
                   || ' resolved by ' || coalesce(r.kind || ' ' || r.amount, 'nothing')
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              LEFT JOIN transfer r ON r.pending_id = l.money_hold_id
             WHERE c.state IN ('approved', 'in-payment-run', 'paid')
               AND l.category_id IS NOT NULL AND l.amount_pence > 0
               AND (r.id IS NULL
                    OR (coalesce(l.sanctioned_pence, l.amount_pence) > 0 AND (r.kind <> 'post_pending' OR r.amount <> coalesce(l.sanctioned_pence, l.amount_pence)))
                    OR (coalesce(l.sanctioned_pence, l.amount_pence) = 0 AND r.kind <> 'void_pending'))
            """),
        new("a draft, rejected or withdrawn claim holds nothing", """
            SELECT c.programme_id, 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' still names hold ' || coalesce(l.money_hold_id, l.time_hold_id)
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
             WHERE c.state IN ('draft', 'rejected', 'withdrawn') AND (l.money_hold_id IS NOT NULL OR l.time_hold_id IS NOT NULL)
            """),
        new("every unresolved claim hold belongs to a claim awaiting a decision", """
            SELECT t.programme_id, 'pending transfer ' || t.id || ' of entry ' || t.entry_id
              FROM transfer t JOIN journal_entry e ON e.id = t.entry_id
             WHERE e.cause_type = 'claim' AND t.kind = 'pending'
               AND NOT EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = t.id)
               -- a money hold and a time hold looked for apart: one look-up with OR compared every unresolved hold with every
               -- awaiting line (95 million comparisons at 75,000 claims), where each of these is a hash anti-join
               AND NOT EXISTS (SELECT 1 FROM claim_line l JOIN claim c ON c.id = l.claim_id
                                WHERE l.money_hold_id = t.id AND c.state IN ('submitted', 'under-review', 'awaiting-second-approval'))
               AND NOT EXISTS (SELECT 1 FROM claim_line l JOIN claim c ON c.id = l.claim_id
                                WHERE l.time_hold_id = t.id AND c.state IN ('submitted', 'under-review', 'awaiting-second-approval'))
            """),
        new("every claim entry is named by the transition that made it", """
            SELECT e.programme_id, 'entry ' || e.id || ' (' || coalesce('claim ' || e.cause_id, 'no claim named') || ')'
              FROM journal_entry e
             WHERE e.cause_type = 'claim'
               AND NOT EXISTS (SELECT 1 FROM claim_transition t WHERE t.entry_id = e.id AND t.claim_id = e.cause_id)
            """),
        new("each claim is in at most one live payment run", """
            SELECT c.programme_id, 'claim ' || t.claim_id || ' added to runs ' || string_agg((t.details->>'paymentRunId'), ', ')
              FROM claim_transition t JOIN claim c ON c.id = t.claim_id
             WHERE t.trigger = 'add-to-payment-run'
               AND NOT EXISTS (SELECT 1 FROM claim_transition x WHERE x.claim_id = t.claim_id AND x.id > t.id
                                 AND x.trigger IN ('remove-from-payment-run', 'payment-failed'))
             GROUP BY c.programme_id, t.claim_id HAVING count(*) > 1
            """),
        new("each payee is paid once", """
            WITH e AS MATERIALIZED (
                SELECT cause_id AS payment_run_id, substring(description FROM '^.*remittance (.*)$') AS remittance_reference, count(*) AS entries
                  FROM journal_entry WHERE cause_type = 'payment_run' GROUP BY 1, 2)
            SELECT r.programme_id, 'payee ' || p.remittance_reference || ': ' || coalesce(e.entries, 0) || ' payment entries'
              FROM payment_run_payee p JOIN payment_run r ON r.id = p.payment_run_id
              LEFT JOIN e ON e.payment_run_id = p.payment_run_id AND e.remittance_reference = p.remittance_reference
             WHERE coalesce(e.entries, 0) > 1 OR (p.status = 'paid') <> (coalesce(e.entries, 0) = 1)
            """),
        new("a claim's submitter, deciders, reason and payment run are what its history says", """
            SELECT c.programme_id, 'claim ' || c.id || ': ' || string_agg(x.name || ' ' || coalesce(x.written, 'empty') || ', its history says '
                                                          || coalesce(x.said, 'empty'), '; ' ORDER BY x.n)
              FROM claim c
              -- each column as the last move that writes it left it, every claim's history read in one pass; a move
              -- that clears a column (a submission clears the decision's) leaves it empty
              LEFT JOIN (SELECT t.claim_id,
                                (array_agg(t.actor_id ORDER BY t.id DESC) FILTER (WHERE t.trigger = 'submit'))[1] AS submitted_by,
                                (array_agg(t.occurred_at ORDER BY t.id DESC) FILTER (WHERE t.trigger = 'submit'))[1] AS submitted_at,
                                (array_agg(CASE WHEN t.trigger = 'approve' THEN t.actor_id END ORDER BY t.id DESC)
                                    FILTER (WHERE t.trigger IN ('submit', 'approve')))[1] AS first_approved_by,
                                (array_agg(CASE WHEN t.trigger <> 'submit' THEN t.actor_id END ORDER BY t.id DESC)
                                    FILTER (WHERE t.trigger IN ('submit', 'second-approve', 'withdraw', 'return', 'reject')
                                                  OR (t.trigger = 'approve' AND t.to_state = 'approved')))[1] AS decided_by,
                                (array_agg(CASE WHEN t.trigger <> 'submit' THEN t.occurred_at END ORDER BY t.id DESC)
                                    FILTER (WHERE t.trigger IN ('submit', 'second-approve', 'withdraw', 'return', 'reject')
                                                  OR (t.trigger = 'approve' AND t.to_state = 'approved')))[1] AS decided_at,
                                (array_agg(CASE WHEN t.trigger <> 'submit' THEN t.reason END ORDER BY t.id DESC)
                                    FILTER (WHERE t.trigger IN ('submit', 'return', 'reject')))[1] AS reason,
                                (array_agg(CASE WHEN t.trigger = 'add-to-payment-run' THEN (t.details->>'paymentRunId')::bigint END ORDER BY t.id DESC)
                                    FILTER (WHERE t.trigger IN ('submit', 'add-to-payment-run', 'remove-from-payment-run', 'payment-failed')))[1] AS run
                           FROM claim_transition t GROUP BY t.claim_id) h ON h.claim_id = c.id
             CROSS JOIN LATERAL (VALUES (1, 'submitted_by', c.submitted_by::text, h.submitted_by::text),
                                        (2, 'submitted_at', c.submitted_at::text, h.submitted_at::text),
                                        (3, 'first_approved_by', c.first_approved_by::text, h.first_approved_by::text),
                                        (4, 'decided_by', c.decided_by::text, h.decided_by::text),
                                        (5, 'decided_at', c.decided_at::text, h.decided_at::text),
                                        (6, 'reason', c.reason, h.reason),
                                        (7, 'payment_run_id', c.payment_run_id::text, h.run::text)) AS x(n, name, written, said)
             WHERE x.written IS DISTINCT FROM x.said
             GROUP BY c.programme_id, c.id
            """),
        new("a line's hold is the pending transfer its claim's submission wrote for it", """
            SELECT c.programme_id, 'claim ' || l.claim_id || ' line ' || l.line_no || ' (' || v.what || ' hold, transfer ' || v.hold_id || ')'
              FROM claim_line l
              JOIN claim c ON c.id = l.claim_id
             CROSS JOIN LATERAL (VALUES ('money', l.money_hold_id, l.category_id, l.amount_pence, 'GBP', ':payable'),
                                        ('time', l.time_hold_id, l.allowance_category_id, l.minutes, 'MIN', ':used'))
                   AS v(what, hold_id, category_id, amount, unit, leaf)
              LEFT JOIN transfer t ON t.id = v.hold_id
              LEFT JOIN journal_entry e ON e.id = t.entry_id
              LEFT JOIN account d ON d.id = t.debit_account_id
              LEFT JOIN account k ON k.id = t.credit_account_id
             WHERE v.hold_id IS NOT NULL
               AND (t.kind = 'pending' AND t.unit = v.unit AND t.amount = v.amount
                    AND e.cause_type = 'claim' AND e.cause_id = l.claim_id
                    AND (d.school_id, d.programme_year_id, d.category_id, k.school_id, k.programme_year_id, k.category_id)
                        = (c.school_id, c.programme_year_id, v.category_id, c.school_id, c.programme_year_id, v.category_id)
                    AND d.code LIKE '%:available' AND k.code LIKE '%' || v.leaf) IS NOT TRUE
            """),
        new("a decision's entry resolves each hold of its submission once, as the lines say, and moves nothing else", """
            SELECT c.programme_id, 'claim ' || d.claim_id || ' ' || d.trigger || ' (entry ' || d.entry_id || ', its submission''s ' || s.entry_id || ')'
              FROM claim_transition d JOIN claim c ON c.id = d.claim_id
             CROSS JOIN LATERAL (SELECT s.entry_id FROM claim_transition s
                                  WHERE s.claim_id = d.claim_id AND s.trigger = 'submit' AND s.id < d.id
                                  ORDER BY s.id DESC LIMIT 1) s
             WHERE d.entry_id IS NOT NULL AND s.entry_id IS NOT NULL
               AND ((d.trigger IN ('approve', 'second-approve') AND d.to_state = 'approved') OR d.trigger IN ('return', 'reject', 'withdraw'))
               AND EXISTS ((SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(d.claim_id, s.entry_id, d.to_state = 'approved') r
                            EXCEPT ALL
                            SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = d.entry_id)
                           UNION ALL
                           (SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = d.entry_id
                            EXCEPT ALL
                            SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(d.claim_id, s.entry_id, d.to_state = 'approved') r))
            """),
        new("a staff member's day is what their school's claims hold, at most a full day", """
            SELECT (SELECT programme_id FROM school WHERE id = coalesce(d.school_id, b.school_id)),
                   'school ' || coalesce(d.school_id, b.school_id) || ', ' || coalesce(d.staff_ref, b.staff) || ' on '
                   || coalesce(d.work_date, b.work_date) || ': ' || coalesce(d.minutes, 0) || ' minutes booked, '
                   || coalesce(b.minutes, 0) || ' held by its claims'
              FROM (SELECT school_id, staff_ref, work_date, minutes FROM staff_day WHERE minutes <> 0) d
              FULL JOIN (SELECT c.school_id, staff_key(l.staff_ref) AS staff, l.work_date, sum(l.minutes) AS minutes
                           FROM claim_line l JOIN claim c ON c.id = l.claim_id
                          WHERE l.kind IN ('staff-time', 'support-hours') AND l.staff_ref IS NOT NULL AND l.work_date IS NOT NULL
                            AND l.minutes IS NOT NULL AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
                          GROUP BY 1, 2, 3) b
                ON b.school_id = d.school_id AND b.staff = d.staff_ref AND b.work_date = d.work_date
             WHERE d.minutes IS DISTINCT FROM b.minutes OR d.minutes > 450
            """),
        new("a hold is one line's", """
            SELECT c.programme_id, 'claim ' || a.claim_id || ' lines ' || a.line_no || ' and ' || b.line_no || ' both hold transfer ' || v.hold_id
              FROM claim_line a JOIN claim c ON c.id = a.claim_id
              JOIN claim_line b ON b.claim_id = a.claim_id AND b.line_no > a.line_no
             CROSS JOIN LATERAL (VALUES (a.money_hold_id, b.money_hold_id), (a.time_hold_id, b.time_hold_id)) AS v(hold_id, other_id)
             WHERE v.hold_id = v.other_id
            """),
    ];

    /// <summary>How many rows each check names when asked through the API (its <c>most</c>) or a page: 20 unless asked, 1 to 100.</summary>
    public const int NamedByDefault = 20, MostNamed = 100;

    /// <summary>The rows each check names: <paramref name="most"/> when asked (1 to <see cref="MostNamed"/>, else 422 naming <c>most</c>), else <see cref="NamedByDefault"/>.</summary>
    public static int Named(int? most) => most switch
    {
        null => NamedByDefault,
        >= 1 and <= MostNamed => most.Value,
        _ => throw new Core.Rules.InvalidInput("most", $"must be between 1 and {MostNamed}"),
    };

    /// <param name="ProgrammeId">the programme whose rows were checked</param>
    /// <param name="CheckedAt">when the snapshot the checks read was taken</param>
    public sealed record Report(long ProgrammeId, DateTimeOffset CheckedAt, IReadOnlyList<Result> Checks)
    {
        /// <summary>Whether every check holds.</summary>
        public bool Holds => Checks.All(c => c.Holds);
    }

    /// <summary>How many of the checks hold, as the command and the page say it: "Every one of the 17 checks holds", "1 of the 17 checks does not hold", "2 of the 17 checks do not hold".</summary>
    public static string Summary(IReadOnlyList<Result> results) => results.Count(r => !r.Holds) switch
    {
        0 => $"Every one of the {results.Count} checks holds",
        1 => $"1 of the {results.Count} checks does not hold",
        var broken => $"{broken} of the {results.Count} checks do not hold",
    };

    /// <summary>Every check over one programme's rows, as the API and the ledger's checks page give them.</summary>
    /// <param name="unbounded">no time limit on a check's statement (a run in the background), where a request keeps the connection's</param>
    public static async Task<Report> ReportAsync(NpgsqlDataSource dataSource, long programmeId, int most, CancellationToken ct, bool unbounded = false)
    {
        var checkedAt = DateTimeOffset.UtcNow;
        var results = await RunAsync(dataSource, most, ct, programmeId: programmeId, unbounded: unbounded);
        return new Report(programmeId, checkedAt, results);
    }

    /// <summary>
    /// Runs the checks (every one unless others are given) in one repeatable-read transaction (one snapshot for all), naming
    /// at most <paramref name="most"/> culprits each: over every programme's rows, or over one programme's.
    /// </summary>
    public static async Task<IReadOnlyList<Result>> RunAsync(NpgsqlDataSource dataSource, int most = 20, CancellationToken ct = default,
        IReadOnlyList<Check>? checks = null, long? programmeId = null, bool unbounded = false)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var results = new List<Result>();
        foreach (var check in checks ?? All)
        {
            // each check gives the programme of each row it names, then the row in words. Its rows are a materialised CTE, so
            // that PostgreSQL plans the check for all its rows (which it reads when the check holds) and not for the first
            // few the LIMIT asks for: planned for those, a hold's look-up ran as a nested loop, 0.5 s became 4.4 s at 75,000
            // claims (docs/auditing.md). The programme is asked for inside it, where it can reach the check's tables.
            await using var cmd = new NpgsqlCommand($"""
                WITH x AS MATERIALIZED (SELECT c.found FROM ({check.Sql}) AS c(programme_id, found) WHERE $1::bigint IS NULL OR c.programme_id = $1)
                SELECT x.found FROM x LIMIT {most + 1}
                """, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = (object?)programmeId ?? DBNull.Value });
            if (unbounded) cmd.CommandTimeout = 0;
            await using var rows = await cmd.ExecuteReaderAsync(ct);
            var found = new List<string>();
            while (await rows.ReadAsync(ct)) found.Add(rows.IsDBNull(0) ? "(null)" : rows.GetString(0));
            results.Add(new Result(check.Name, found.Take(most).ToList(), found.Count > most));
        }
        await tx.CommitAsync(ct);
        return results;
    }
}
