-- Two checks in ledger_apply_transfers() end in LIMIT 1, and PostgreSQL plans such a query to
-- stop at its first match. When nothing matches — every entry that posts — the plan runs to the
-- end, and two of those plans were quadratic for a large entry:
--
-- * the account-limit check (ORDER BY a.id LIMIT 1): when account's statistics are older than
--   the accounts an allocation has just opened (2,000 rows known, 98,000 there), PostgreSQL walked
--   account in primary-key order and, for each account, re-read the entry's 96,000 figures (the
--   unnest of the function's arrays, materialised in a temporary file) to find its row: 9 billion
--   comparisons, over ten minutes for one allocation (bench bulk, docs/performance.md; a profile of
--   the backend showed only tuplestore reads and int8eq; EXPLAIN reproduced the plan). The join now
--   sits under OFFSET 0, so it is planned to produce all its rows (a hash join, or each figure
--   looking its account up by primary key) and only then sorted for the first;
-- * the hold check read the statement's new transfers ("inserted") as the inner side of a join
--   with transfer, planned once per connection for the transition table's size at first use. It
--   now reads each new transfer once and looks its hold up by primary key (LATERAL ... LIMIT 1,
--   which the planner cannot turn round), and only for transfers that resolve a hold.
--
-- The function is otherwise as 0003 wrote it; what it checks and what it refuses are unchanged.

CREATE OR REPLACE FUNCTION ledger_apply_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    transfer_ids bigint[];
    ids bigint[];
    dp bigint[];  -- change in debits posted, per account in ids
    cp bigint[];  -- credits posted
    dq bigint[];  -- debits pending
    cq bigint[];  -- credits pending
BEGIN
    -- resolutions: of a pending transfer, between the same accounts, for no more than it held,
    -- dated no earlier than the hold
    SELECT n.id, n.kind, n.amount, n.pending_id, n.value_date, p.kind AS pending_kind, p.amount AS held,
           p.value_date AS held_since
      INTO bad
      FROM inserted n
      CROSS JOIN LATERAL (SELECT * FROM transfer t WHERE t.id = n.pending_id LIMIT 1) p
     WHERE n.pending_id IS NOT NULL
       AND (p.kind <> 'pending'
            OR p.debit_account_id <> n.debit_account_id
            OR p.credit_account_id <> n.credit_account_id
            OR (n.kind = 'post_pending' AND n.amount > p.amount)
            OR (n.kind = 'void_pending' AND n.amount <> p.amount)
            OR n.value_date < p.value_date)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL004',
            MESSAGE = CASE
                WHEN bad.pending_kind <> 'pending' THEN format('transfer %s is not a pending transfer', bad.pending_id)
                WHEN bad.kind = 'post_pending' AND bad.amount > bad.held THEN
                    format('cannot post %s against pending transfer %s, which holds only %s', bad.amount, bad.pending_id, bad.held)
                WHEN bad.kind = 'void_pending' AND bad.amount <> bad.held THEN
                    format('voiding pending transfer %s releases all it holds (%s), not %s', bad.pending_id, bad.held, bad.amount)
                WHEN bad.value_date < bad.held_since THEN
                    format('pending transfer %s, held since %s, cannot be resolved with value date %s',
                           bad.pending_id, bad.held_since, bad.value_date)
                ELSE format('transfer resolving %s must use the same accounts as it', bad.pending_id) END,
            DETAIL = json_build_object('pendingId', bad.pending_id, 'held', bad.held, 'amount', bad.amount)::text;
    END IF;

    SELECT array_agg(id) INTO transfer_ids FROM inserted;
    IF transfer_ids IS NULL THEN
        RETURN NULL;
    END IF;

    SELECT array_agg(account_id ORDER BY account_id),
           array_agg(sum_dp ORDER BY account_id), array_agg(sum_cp ORDER BY account_id),
           array_agg(sum_dq ORDER BY account_id), array_agg(sum_cq ORDER BY account_id)
      INTO ids, dp, cp, dq, cq
      FROM (SELECT e.account_id, sum(e.debits_posted)::bigint AS sum_dp, sum(e.credits_posted)::bigint AS sum_cp,
                   sum(e.debits_pending)::bigint AS sum_dq, sum(e.credits_pending)::bigint AS sum_cq
              FROM transfer_effect e
             WHERE e.transfer_id = ANY (transfer_ids)
             GROUP BY e.account_id) AS per_account;

    -- lock in id order, so that concurrent entries touching the same accounts queue, never deadlock
    PERFORM 1 FROM account WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;

    SELECT x.id, x.code, x.unit, x.shortfall
      INTO bad
      FROM (
            SELECT a.id, a.code, a.unit,
                   CASE a.limit_kind
                       WHEN 'debits_within_credits' THEN (a.debits_posted + d.dp) + (a.debits_pending + d.dq) - (a.credits_posted + d.cp)
                       ELSE (a.credits_posted + d.cp) + (a.credits_pending + d.cq) - (a.debits_posted + d.dp) END AS shortfall
              FROM unnest(ids, dp, cp, dq, cq) AS d(id, dp, cp, dq, cq)
              JOIN account a ON a.id = d.id
             WHERE (a.limit_kind = 'debits_within_credits'
                    AND (a.debits_posted + d.dp) + (a.debits_pending + d.dq) > a.credits_posted + d.cp)
                OR (a.limit_kind = 'credits_within_debits'
                    AND (a.credits_posted + d.cp) + (a.credits_pending + d.cq) > a.debits_posted + d.dp)
            OFFSET 0) AS x -- planned for all its rows, not to stop at a first match (see above)
     ORDER BY x.id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL001',
            MESSAGE = format('account %s would go past its limit by %s %s', bad.code, bad.shortfall,
                             CASE bad.unit WHEN 'GBP' THEN 'pence' ELSE 'minutes' END),
            DETAIL = json_build_object('accountId', bad.id, 'account', bad.code, 'unit', bad.unit,
                                       'shortfall', bad.shortfall)::text;
    END IF;

    UPDATE account a
       SET debits_posted = a.debits_posted + d.dp,
           credits_posted = a.credits_posted + d.cp,
           debits_pending = a.debits_pending + d.dq,
           credits_pending = a.credits_pending + d.cq
      FROM unnest(ids, dp, cp, dq, cq) AS d(id, dp, cp, dq, cq)
     WHERE a.id = d.id;

    RETURN NULL;
END $$;
