using Npgsql;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// The ledger's invariants, checked with SQL straight against the database after a crash, an outage
/// or a race: each query lists what breaks an invariant, so an empty answer is a pass and a
/// non-empty one names the culprits.
/// </summary>
public static class LedgerChecks
{
    private static readonly (string Name, string Sql)[] Violations =
    [
        ("account balances equal the sum of their transfers", """
            SELECT a.code || ' ' || a.unit || ': stored ' || row(a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)::text
                   || ' but transfers give ' || row(coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))::text
              FROM account a
              LEFT JOIN (SELECT account_id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dq, sum(credits_pending) cq
                           FROM transfer_effect GROUP BY account_id) e ON e.account_id = a.id
             WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                   IS DISTINCT FROM (coalesce(e.dp, 0)::bigint, coalesce(e.cp, 0)::bigint, coalesce(e.dq, 0)::bigint, coalesce(e.cq, 0)::bigint)
            """),
        ("the trial balance is zero per programme and unit", """
            SELECT programme_id || ' ' || unit || ': debits ' || sum(debits_posted) || ' credits ' || sum(credits_posted)
                   || ' pending debits ' || sum(debits_pending) || ' pending credits ' || sum(credits_pending)
              FROM account GROUP BY programme_id, unit
            HAVING sum(debits_posted) <> sum(credits_posted) OR sum(debits_pending) <> sum(credits_pending)
            """),
        ("no limited account is past its limit (available never negative)", """
            SELECT code || ' ' || unit || ' available ' ||
                   CASE limit_kind WHEN 'debits_within_credits' THEN credits_posted - debits_posted - debits_pending
                                   ELSE debits_posted - credits_posted - credits_pending END
              FROM account
             WHERE (limit_kind = 'debits_within_credits' AND debits_posted + debits_pending > credits_posted)
                OR (limit_kind = 'credits_within_debits' AND credits_posted + credits_pending > debits_posted)
            """),
        ("every journal entry has transfers", """
            SELECT 'entry ' || e.id FROM journal_entry e WHERE NOT EXISTS (SELECT 1 FROM transfer t WHERE t.entry_id = e.id)
            """),
        ("a claim's state is its last recorded transition", """
            SELECT 'claim ' || c.id || ' is ' || c.state || ' but its history ends ' || coalesce(last.to_state, '(nothing)')
              FROM claim c
              LEFT JOIN LATERAL (SELECT to_state FROM claim_transition t WHERE t.claim_id = c.id ORDER BY t.id DESC LIMIT 1) last ON true
             WHERE c.state <> coalesce(last.to_state, 'draft')
            """),
        ("a claim awaiting a decision holds each line's money, unresolved", """
            SELECT 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' hold ' || coalesce(l.money_hold_id::text, 'missing')
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              LEFT JOIN transfer h ON h.id = l.money_hold_id
             WHERE c.state IN ('submitted', 'under-review', 'awaiting-second-approval')
               AND l.category_id IS NOT NULL AND l.amount_pence > 0
               AND (h.id IS NULL OR h.kind <> 'pending' OR h.amount <> l.amount_pence
                    OR EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = h.id))
            """),
        ("a decided claim's holds are resolved once, for what was sanctioned", """
            SELECT 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' hold ' || coalesce(l.money_hold_id::text, 'missing')
                   || ' resolved by ' || coalesce(r.kind || ' ' || r.amount, 'nothing')
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              LEFT JOIN transfer r ON r.pending_id = l.money_hold_id
             WHERE c.state IN ('approved', 'in-payment-run', 'paid')
               AND l.category_id IS NOT NULL AND l.amount_pence > 0
               AND (r.id IS NULL
                    OR (coalesce(l.sanctioned_pence, l.amount_pence) > 0 AND (r.kind <> 'post_pending' OR r.amount <> coalesce(l.sanctioned_pence, l.amount_pence)))
                    OR (coalesce(l.sanctioned_pence, l.amount_pence) = 0 AND r.kind <> 'void_pending'))
            """),
        ("a draft, rejected or withdrawn claim holds nothing", """
            SELECT 'claim ' || c.id || ' (' || c.state || ') line ' || l.line_no || ' still names hold ' || coalesce(l.money_hold_id, l.time_hold_id)
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
             WHERE c.state IN ('draft', 'rejected', 'withdrawn') AND (l.money_hold_id IS NOT NULL OR l.time_hold_id IS NOT NULL)
            """),
        ("every unresolved claim hold belongs to a claim awaiting a decision", """
            SELECT 'pending transfer ' || t.id || ' of entry ' || t.entry_id
              FROM transfer t JOIN journal_entry e ON e.id = t.entry_id
             WHERE e.cause_type = 'claim' AND t.kind = 'pending'
               AND NOT EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM claim_line l JOIN claim c ON c.id = l.claim_id
                                WHERE (l.money_hold_id = t.id OR l.time_hold_id = t.id)
                                  AND c.state IN ('submitted', 'under-review', 'awaiting-second-approval'))
            """),
        ("every claim entry is named by the transition that made it", """
            SELECT 'entry ' || e.id || ' (claim ' || e.cause_id || ')'
              FROM journal_entry e
             WHERE e.cause_type = 'claim'
               AND NOT EXISTS (SELECT 1 FROM claim_transition t WHERE t.entry_id = e.id AND t.claim_id = e.cause_id)
            """),
        ("each claim is in at most one live payment run", """
            SELECT 'claim ' || t.claim_id || ' added to runs ' || string_agg((t.details->>'paymentRunId'), ', ')
              FROM claim_transition t
             WHERE t.trigger = 'add-to-payment-run'
               AND NOT EXISTS (SELECT 1 FROM claim_transition x WHERE x.claim_id = t.claim_id AND x.id > t.id
                                 AND x.trigger IN ('remove-from-payment-run', 'payment-failed'))
             GROUP BY t.claim_id HAVING count(*) > 1
            """),
        ("each payee is paid once", """
            SELECT 'payee ' || p.remittance_reference || ': ' || count(e.id) || ' payment entries'
              FROM payment_run_payee p
              LEFT JOIN journal_entry e ON e.cause_type = 'payment_run' AND e.cause_id = p.payment_run_id
                                       AND e.description LIKE '%remittance ' || p.remittance_reference
             GROUP BY p.id, p.remittance_reference, p.status
            HAVING count(e.id) > 1 OR (p.status = 'paid') <> (count(e.id) = 1)
            """),
    ];

    /// <summary>Fails the test with every violation found, by invariant.</summary>
    public static async Task AssertConsistentAsync(NpgsqlDataSource db)
    {
        var broken = new List<string>();
        foreach (var (name, sql) in Violations)
        {
            await using var cmd = db.CreateCommand(sql + " LIMIT 20");
            await using var rows = await cmd.ExecuteReaderAsync();
            var found = new List<string>();
            while (await rows.ReadAsync()) found.Add(rows.IsDBNull(0) ? "(null)" : rows.GetString(0));
            if (found.Count > 0) broken.Add($"{name}:\n  " + string.Join("\n  ", found));
        }
        Assert.True(broken.Count == 0, "ledger invariants broken:\n" + string.Join("\n", broken));
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T));
    }
}
