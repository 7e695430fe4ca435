namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// What an auditor compares: a record's own time for a step is its audit event's (the same instant: the transaction's now()),
/// and its steps never run backwards. Asked of every payment run (built, approved, exported, paid, cancelled, updated) and
/// payee confirmed, action plan version (submitted, agreed, superseded, updated), closed half-term and year, rate, claim
/// (updated: its latest step, change, or repricing by a rate), user disabled, and API token issued or revoked. The claim's own steps are <c>ClaimLifecycleTests.AssertTimesAgreeWithHistory</c>'s.
/// </summary>
public static class AuditTrailTimes
{
    private const string Disagreements = """
        WITH said(what, at, trail) AS (
            SELECT 'payment run ' || r.id || ' ' || x.col, x.at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'payment_run' AND e.record_id = r.id AND e.action = x.action)
              FROM payment_run r CROSS JOIN LATERAL (VALUES ('built_at', r.built_at, 'payment-run.built'), ('approved_at', r.approved_at, 'payment-run.approve'),
                   ('exported_at', r.exported_at, 'payment-run.export'), ('paid_at', r.paid_at, 'payment-run.mark-paid'),
                   ('cancelled_at', r.cancelled_at, 'payment-run.cancel')) AS x(col, at, action)
             WHERE x.at IS NOT NULL
            UNION ALL
            SELECT 'payment run ' || r.id || ' updated_at', r.updated_at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'payment_run' AND e.record_id = r.id AND e.action LIKE 'payment-run.%')
              FROM payment_run r
            UNION ALL
            SELECT 'payee ' || p.id || ' confirmed_at', p.confirmed_at,
                   (SELECT e.occurred_at FROM audit_event e WHERE e.record_type = 'payment_confirmation_import' AND e.record_id = p.confirmation_id
                       AND e.action = 'payment-confirmations.imported')
              FROM payment_run_payee p WHERE p.confirmed_at IS NOT NULL
            UNION ALL
            SELECT 'action plan ' || p.id || ' ' || x.col, x.at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'action_plan' AND e.record_id = p.id AND e.action = x.action)
              FROM action_plan p CROSS JOIN LATERAL (VALUES ('created_at', p.created_at, 'action-plan.' || CASE WHEN p.version = 1 THEN 'started' ELSE 'revised' END),
                   ('submitted_at', p.submitted_at, 'action-plan.submit'), ('agreed_at', p.agreed_at, 'action-plan.agree'),
                   ('superseded_at', p.superseded_at, 'action-plan.supersede')) AS x(col, at, action)
             WHERE x.at IS NOT NULL
            UNION ALL
            SELECT 'action plan ' || p.id || ' updated_at', p.updated_at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'action_plan' AND e.record_id = p.id)
              FROM action_plan p
            UNION ALL
            SELECT 'half-term ' || pe.id || ' closed_at', pe.closed_at,
                   -- closed alone, else with its year
                   coalesce((SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'period' AND e.record_id = pe.id AND e.action = 'period.closed'),
                            (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'programme_year' AND e.record_id = pe.programme_year_id
                                AND e.action = 'year.closed'))
              FROM period pe WHERE pe.closed_at IS NOT NULL
            UNION ALL
            SELECT 'year ' || y.id || ' closed_at', y.closed_at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'programme_year' AND e.record_id = y.id AND e.action = 'year.closed')
              FROM programme_year y WHERE y.closed_at IS NOT NULL
            UNION ALL
            SELECT 'rate ' || r.id || ' created_at', r.created_at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'rate' AND e.record_id = r.id AND e.action = 'rate.added')
              FROM rate r
            UNION ALL
            SELECT 'claim ' || c.id || ' updated_at', c.updated_at, greatest(
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'claim' AND e.record_id = c.id),
                   (SELECT max(t.occurred_at) FROM claim_transition t WHERE t.claim_id = c.id),
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.action = 'rate.added'
                       AND e.details -> 'repriced' @> jsonb_build_array(jsonb_build_object('claimId', c.id))))
              FROM claim c
            UNION ALL
            SELECT 'user ' || u.id || ' disabled_at', u.disabled_at,
                   (SELECT max(e.occurred_at) FROM audit_event e WHERE e.record_type = 'app_user' AND e.record_id = u.id AND e.action = 'user.disabled')
              FROM app_user u WHERE u.disabled_at IS NOT NULL)
        SELECT what || ' is ' || at || ' where its audit trail says ' || coalesce(trail::text, 'nothing') FROM said WHERE at IS DISTINCT FROM trail
        UNION ALL
        -- a token issued with an event (signing in, a token asked for, the demo's) is created at its time; one revoked, at its
        -- revocation's, or its user's password reset's
        SELECT 'token ' || t.id || ' created_at is ' || t.created_at || ' where its issue''s event says ' || e.occurred_at
          FROM api_token t JOIN audit_event e ON e.action = 'token.issued' AND e.record_type = 'api_token' AND e.record_id = t.id
                                              OR e.action = 'sign-in.succeeded' AND (e.details ->> 'tokenId')::bigint = t.id
         WHERE e.occurred_at <> t.created_at
        UNION ALL
        SELECT 'token ' || t.id || ' revoked_at is ' || t.revoked_at || ', the time of none of its events'
          FROM api_token t
         WHERE t.revoked_at IS NOT NULL AND NOT EXISTS (SELECT FROM audit_event e WHERE e.occurred_at = t.revoked_at
                   AND (e.action = 'token.revoked' AND e.record_type = 'api_token' AND e.record_id = t.id
                        OR e.record_type = 'app_user' AND e.record_id = t.user_id))
        UNION ALL
        SELECT 'payment run ' || id || '''s steps run backwards: built ' || built_at || ', approved ' || coalesce(approved_at::text, '-')
               || ', exported ' || coalesce(exported_at::text, '-') || ', paid ' || coalesce(paid_at::text, '-') || ', cancelled ' || coalesce(cancelled_at::text, '-')
          FROM payment_run
         WHERE approved_at < built_at OR exported_at < approved_at OR paid_at < exported_at OR cancelled_at < coalesce(approved_at, built_at)
        UNION ALL
        SELECT 'action plan ' || id || '''s steps run backwards: created ' || created_at || ', submitted ' || coalesce(submitted_at::text, '-')
               || ', agreed ' || coalesce(agreed_at::text, '-') || ', superseded ' || coalesce(superseded_at::text, '-')
          FROM action_plan
         WHERE submitted_at < created_at OR agreed_at < submitted_at OR superseded_at < agreed_at
        ORDER BY 1
        """;

    /// <summary>Every record's times that disagree with its audit trail, or run backwards: none.</summary>
    public static async Task AssertAgreeAsync(DatabaseFixture db)
    {
        var found = new List<string>();
        await using (var cmd = db.DataSource.CreateCommand(Disagreements))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) found.Add(reader.GetString(0));
        Assert.True(found.Count == 0, string.Join("\n", found));
    }
}
