-- A limited account keeps within its limit as of every value date, not only on its balance now (GL014). School X's
-- available budget was allocated £100 dated 1 October; a virement of £100 out of it dated 15 September was accepted,
-- since the balance now stayed at nought: as of 15 to 30 September the school's statement, the reconciliation
-- workbook's Available and its Checks sheet ("Limited accounts within their limits") showed it £100 below nought. The
-- same for an allocation dated before the programme's funding, a reversal, a year-end entry or a payment dated back.
--
-- How, at next to no cost for the usual entry (dated on or after everything already on its accounts):
--
-- * account.latest_value_date is the latest value date of any transfer on the account (NULL before its first). The
--   ledger trigger's one pass over the statement's transfers now also takes, per account, the statement's earliest and
--   latest value date (and whether it debits or credits the account), and its UPDATE of the account's totals keeps
--   latest_value_date. That UPDATE also says which limited accounts have a transfer of this statement dated before
--   their latest value date (theirs or the statement's own) that takes from them (a debit posted or held, for
--   debits_within_credits); for every other account nothing more is read;
-- * only for those, their transfers dated on or after the statement's earliest date on them are read (by the indexes
--   transfer_debit_account and transfer_credit_account, (account_id, value_date, id)), and the account's shortfall at
--   the end of each of those days is today's less what is dated after that day, holds and their resolutions counted as
--   transfer_effect counts them. A day past its limit refuses the statement only if the statement made it worse (its own
--   transfers dated up to that day, from the transition table, take from the account): a day already past its limit
--   from rows written before this migration does not refuse a credit, a posting to another account, or one dated after
--   it. A backdated entry's cost grows with the transfers dated after it on its limited accounts.
--
-- latest_value_date changes only with the transfers, as the totals do (account_balances_by_transfers_only).
-- The refusal's DETAIL names the account (id, code, name), the unit, the shortfall and the day (asOf): the service
-- answers 422 naming valueDate.

ALTER TABLE account ADD COLUMN latest_value_date date;

UPDATE account a
   SET latest_value_date = l.latest
  FROM (SELECT account_id, max(value_date) AS latest
          FROM (SELECT debit_account_id AS account_id, value_date FROM transfer
                UNION ALL
                SELECT credit_account_id, value_date FROM transfer) t
         GROUP BY account_id) l
 WHERE a.id = l.account_id;

CREATE OR REPLACE FUNCTION account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'accounts cannot be deleted';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0
           OR NEW.latest_value_date IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'a new account starts with zero balances';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.programme_id, NEW.unit, NEW.code, NEW.normal_side, NEW.limit_kind, NEW.programme_year_id, NEW.school_id, NEW.category_id)
       IS DISTINCT FROM
       (OLD.id, OLD.programme_id, OLD.unit, OLD.code, OLD.normal_side, OLD.limit_kind, OLD.programme_year_id, OLD.school_id, OLD.category_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('account %s: only its name may change', OLD.code);
    END IF;
    IF pg_trigger_depth() < 2 AND
       (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending, NEW.latest_value_date)
       IS DISTINCT FROM (OLD.debits_posted, OLD.credits_posted, OLD.debits_pending, OLD.credits_pending, OLD.latest_value_date) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('account %s: balances change only by posting transfers', OLD.code);
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER account_starts_at_zero ON account;
CREATE TRIGGER account_starts_at_zero BEFORE INSERT ON account
    FOR EACH ROW
    WHEN (NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0
          OR NEW.latest_value_date IS NOT NULL)
    EXECUTE FUNCTION account_guard();
DROP TRIGGER account_balances_by_transfers_only ON account;
CREATE TRIGGER account_balances_by_transfers_only BEFORE UPDATE ON account
    FOR EACH ROW
    WHEN (pg_trigger_depth() < 1 AND
          (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending, NEW.latest_value_date)
          IS DISTINCT FROM (OLD.debits_posted, OLD.credits_posted, OLD.debits_pending, OLD.credits_pending, OLD.latest_value_date))
    EXECUTE FUNCTION account_guard();

CREATE OR REPLACE FUNCTION ledger_apply_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    ids bigint[];
    programmes bigint[];  -- the programme and unit the transfers gave each account in ids
    units text[];
    dp bigint[];  -- change in debits posted, per account in ids
    cp bigint[];  -- credits posted
    dq bigint[];  -- debits pending
    cq bigint[];  -- credits pending
    firsts date[];  -- the earliest value date of the statement's transfers on each account in ids
    lasts date[];   -- and the latest
    takes int[];    -- 1: the statement debits the account, 2: credits it, 3: both (posted or pending, not a resolution)
    dated_back bigint[];  -- limited accounts with a transfer of this statement dated before their latest value date
    dated_back_from date[];  -- the earliest such date on each
    jit_was text;
BEGIN
    -- every transfer names its entry with the entry's programme and dates (journal entries are
    -- immutable, so nothing can take the entry away afterwards)
    SELECT n.entry_id INTO bad
      FROM (SELECT DISTINCT entry_id, programme_id, value_date, recorded_at FROM inserted) n
     WHERE NOT EXISTS (SELECT 1 FROM journal_entry j
                        WHERE j.id = n.entry_id AND j.programme_id = n.programme_id
                          AND j.value_date = n.value_date AND j.recorded_at = n.recorded_at)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transfer_entry',
            MESSAGE = format('transfer names journal entry %s, which has no such programme, value date and recorded time', bad.entry_id);
    END IF;

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

    -- each transfer's effect on its two accounts, as transfer_effect defines it: a resolution
    -- releases what its hold held and, if it posts, posts its own amount; and the statement's
    -- earliest and latest value date on each account (0069)
    -- (in one pass, so the arrays stay aligned; the lock below takes them in id order)
    SELECT array_agg(account_id), array_agg(programme_id), array_agg(unit),
           array_agg(sum_dp), array_agg(sum_cp), array_agg(sum_dq), array_agg(sum_cq),
           array_agg(first_date), array_agg(last_date), array_agg(sides_taken)
      INTO ids, programmes, units, dp, cp, dq, cq, firsts, lasts, takes
      FROM (SELECT e.account_id, t.programme_id, t.unit, sum(e.dp)::bigint AS sum_dp, sum(e.cp)::bigint AS sum_cp,
                   sum(e.dq)::bigint AS sum_dq, sum(e.cq)::bigint AS sum_cq,
                   min(t.value_date) AS first_date, max(t.value_date) AS last_date, bit_or(e.takes) AS sides_taken
              FROM (SELECT n.programme_id, n.unit, n.debit_account_id, n.credit_account_id, n.value_date,
                           n.kind IN ('posted', 'pending') AS takes,
                           CASE WHEN n.kind IN ('posted', 'post_pending') THEN n.amount ELSE 0 END AS posts,
                           CASE n.kind WHEN 'pending' THEN n.amount WHEN 'posted' THEN 0
                                ELSE -(SELECT p.amount FROM transfer p WHERE p.id = n.pending_id) END AS holds
                      FROM inserted n) AS t
             CROSS JOIN LATERAL (VALUES (t.debit_account_id, t.posts, 0::bigint, t.holds, 0::bigint, CASE WHEN t.takes THEN 1 ELSE 0 END),
                                        (t.credit_account_id, 0::bigint, t.posts, 0::bigint, t.holds, CASE WHEN t.takes THEN 2 ELSE 0 END))
                   AS e(account_id, dp, cp, dq, cq, takes)
             GROUP BY e.account_id, t.programme_id, t.unit) AS per_account;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;

    -- lock in id order, so that concurrent entries touching the same accounts queue, never deadlock
    PERFORM 1 FROM account WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;

    -- every account exists with the transfer's programme and unit (locked above, so it stays),
    -- and none goes past its limit
    SELECT x.id, x.code, x.unit, x.programme_id, x.missing, x.shortfall
      INTO bad
      FROM (
            SELECT d.id, a.code, d.unit, d.programme_id, a.id IS NULL AS missing,
                   CASE a.limit_kind
                       WHEN 'debits_within_credits' THEN (a.debits_posted + d.dp) + (a.debits_pending + d.dq) - (a.credits_posted + d.cp)
                       ELSE (a.credits_posted + d.cp) + (a.credits_pending + d.cq) - (a.debits_posted + d.dp) END AS shortfall
              FROM unnest(ids, programmes, units, dp, cp, dq, cq) AS d(id, programme_id, unit, dp, cp, dq, cq)
              LEFT JOIN account a ON a.id = d.id AND a.programme_id = d.programme_id AND a.unit = d.unit
             WHERE a.id IS NULL
                OR (a.limit_kind = 'debits_within_credits'
                    AND (a.debits_posted + d.dp) + (a.debits_pending + d.dq) > a.credits_posted + d.cp)
                OR (a.limit_kind = 'credits_within_debits'
                    AND (a.credits_posted + d.cp) + (a.credits_pending + d.cq) > a.debits_posted + d.dp)
            OFFSET 0) AS x -- planned for all its rows, not to stop at a first match (0043)
     ORDER BY x.missing DESC, x.id
     LIMIT 1;
    IF FOUND AND bad.missing THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transfer_account',
            MESSAGE = format('a transfer names account %s, which is not an account of programme %s in %s',
                             bad.id, bad.programme_id, bad.unit);
    ELSIF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL001',
            MESSAGE = format('account %s would go past its limit by %s %s', bad.code, bad.shortfall,
                             CASE bad.unit WHEN 'GBP' THEN 'pence' ELSE 'minutes' END),
            DETAIL = json_build_object('accountId', bad.id, 'account', bad.code, 'unit', bad.unit,
                                       'shortfall', bad.shortfall)::text;
    END IF;

    -- the totals and the latest value date; and which limited accounts this statement dates back and may take from: a
    -- transfer of it dated before the account's latest value date (as it stood, or as this statement leaves it), and a
    -- debit (a credit for credits_within_debits) posted or held. Credits and resolutions only ever leave a day better
    -- off, so an allocation or a funding dated back reads nothing more for the accounts it pays into.
    WITH updated AS (
        UPDATE account a
           SET debits_posted = a.debits_posted + d.dp,
               credits_posted = a.credits_posted + d.cp,
               debits_pending = a.debits_pending + d.dq,
               credits_pending = a.credits_pending + d.cq,
               latest_value_date = GREATEST(a.latest_value_date, d.last_date)
          FROM unnest(ids, dp, cp, dq, cq, firsts, lasts, takes) AS d(id, dp, cp, dq, cq, first_date, last_date, takes)
         WHERE a.id = d.id
        RETURNING a.id, a.limit_kind, a.latest_value_date, d.first_date, d.takes
    )
    SELECT array_agg(u.id), array_agg(u.first_date) INTO dated_back, dated_back_from
      FROM updated u
     WHERE u.first_date < u.latest_value_date
       AND ((u.limit_kind = 'debits_within_credits' AND u.takes & 1 <> 0)
            OR (u.limit_kind = 'credits_within_debits' AND u.takes & 2 <> 0));

    IF dated_back IS NULL THEN
        RETURN NULL;
    END IF;

    -- not compiled: estimated above jit_above_cost (an index scan per account), compiling took 150 ms of a 200 ms entry
    -- that read 13,000 transfers; set back after (the setting is the transaction's, and undone with it on a refusal)
    jit_was := current_setting('jit');
    PERFORM set_config('jit', 'off', true);

    -- Each of those accounts as of the end of every day from the statement's earliest date on it: its shortfall (what is
    -- past its limit; at most nought when within it) now, less what is dated after that day. Each transfer's part in the
    -- shortfall, as transfer_effect counts it: on the side the limit counts (debits for debits_within_credits), what it
    -- posts and holds (a resolution releases its hold's amount); on the other side, less what it posts.
    SELECT x.id, x.code, x.name, x.unit, x.as_of, x.shortfall
      INTO bad
      FROM (SELECT m.id, a.code, a.name, a.unit, m.value_date AS as_of,
                   CASE a.limit_kind
                       WHEN 'debits_within_credits' THEN a.debits_posted + a.debits_pending - a.credits_posted
                       ELSE a.credits_posted + a.credits_pending - a.debits_posted END
                   - (sum(m.part) OVER whole - sum(m.part) OVER up_to) AS shortfall,
                   sum(m.mine) OVER up_to AS made_worse  -- by this statement's own transfers, up to that day
              FROM (SELECT p.id, p.value_date, sum(p.part) AS part, sum(p.mine) AS mine
                      FROM (-- every transfer on the account dated on or after the statement's earliest date there
                            SELECT x.id, t.value_date, t.part, 0::bigint AS mine
                              FROM unnest(dated_back, dated_back_from) AS x(id, first_date)
                              JOIN account a ON a.id = x.id
                             CROSS JOIN LATERAL (
                                   SELECT t.value_date,
                                          CASE WHEN t.counted
                                               THEN CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END
                                                    + CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0
                                                           ELSE -(SELECT h.amount FROM transfer h WHERE h.id = t.pending_id) END
                                               ELSE -(CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END) END AS part
                                     FROM (SELECT d.value_date, d.kind, d.amount, d.pending_id,
                                                  a.limit_kind = 'debits_within_credits' AS counted
                                             FROM transfer d
                                            WHERE d.debit_account_id = x.id AND d.value_date >= x.first_date
                                           UNION ALL
                                           SELECT c.value_date, c.kind, c.amount, c.pending_id,
                                                  a.limit_kind = 'credits_within_debits'
                                             FROM transfer c
                                            WHERE c.credit_account_id = x.id AND c.value_date >= x.first_date) AS t) AS t
                            UNION ALL
                            -- this statement's own (among them), from the transition table
                            SELECT x.id, n.value_date, 0,
                                   CASE WHEN s.debit = (a.limit_kind = 'debits_within_credits')
                                        THEN CASE WHEN n.kind IN ('posted', 'post_pending') THEN n.amount ELSE 0 END
                                             + CASE n.kind WHEN 'pending' THEN n.amount WHEN 'posted' THEN 0
                                                    ELSE -(SELECT h.amount FROM transfer h WHERE h.id = n.pending_id) END
                                        ELSE -(CASE WHEN n.kind IN ('posted', 'post_pending') THEN n.amount ELSE 0 END) END
                              FROM inserted n
                             CROSS JOIN LATERAL (VALUES (n.debit_account_id, true), (n.credit_account_id, false)) AS s(id, debit)
                              JOIN unnest(dated_back) AS x(id) ON x.id = s.id
                              JOIN account a ON a.id = x.id) AS p
                     GROUP BY p.id, p.value_date) AS m
              JOIN account a ON a.id = m.id
            WINDOW whole AS (PARTITION BY m.id),
                   up_to AS (PARTITION BY m.id ORDER BY m.value_date ROWS UNBOUNDED PRECEDING)) AS x
     WHERE x.shortfall > 0 AND x.made_worse > 0
     ORDER BY x.id, x.as_of
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL014',
            MESSAGE = format('account %s would be past its limit by %s %s as of %s', bad.code, bad.shortfall,
                             CASE bad.unit WHEN 'GBP' THEN 'pence' ELSE 'minutes' END, bad.as_of),
            DETAIL = json_build_object('accountId', bad.id, 'account', bad.code, 'name', bad.name, 'unit', bad.unit,
                                       'shortfall', bad.shortfall, 'asOf', bad.as_of)::text;
    END IF;
    PERFORM set_config('jit', jit_was, true);

    RETURN NULL;
END $$;

-- as 0048 set it: each statement planned once per connection
ALTER FUNCTION ledger_apply_transfers() SET plan_cache_mode = force_generic_plan;
