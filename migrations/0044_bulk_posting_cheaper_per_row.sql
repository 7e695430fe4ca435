-- A 96,000-transfer allocation (bench bulk, docs/performance.md) spent its posting statement in
-- work done once per row that the statement-level design did not need:
--
-- * account_guard, a PL/pgSQL row trigger, ran for every account the ledger trigger updated
--   (96,001 calls per allocation) only to find that nothing but the balances changed, at trigger
--   depth 2. The same rules are now WHEN conditions on the triggers, evaluated without a function
--   call; the function runs only to refuse. A change of id (UPDATE ... SET id = DEFAULT) is now
--   refused too: the foreign keys from transfer used to be the only thing stopping it;
-- * every balance update moved the account's row to another page (the pages were full), so each
--   of the 96,001 updates inserted into all five of account's indexes. With room left on each page
--   (fillfactor 50) the update stays on the page (HOT) and touches no index. Rows written before
--   this migration move to pages with room the first time their balance changes;
-- * ledger_apply_transfers read the statement's transfers back from the transfer table
--   (transfer_effect WHERE transfer_id = ANY (96,000 ids): two scans of the whole table and a hash
--   of all of it for the holds). It now takes each transfer's effect on its two accounts from the
--   transition table itself, as transfer_effect defines it (the verification in
--   LedgerInvariants and the tests compare the stored balances with that view);
-- * three foreign keys on transfer — to its journal entry and to its debit and credit accounts,
--   each with the transfer's programme (and unit, dates) — were checked one row at a time: 288,000
--   look-ups and row locks for one allocation, of one entry and the accounts the trigger then
--   locks and reads anyway. The trigger now checks the same thing for the whole statement and
--   refuses with the same SQLSTATE (23503, foreign_key_violation). What the keys also did for the
--   rows they point at stays enforced: journal entries cannot be changed or deleted
--   (journal_entry_immutable), accounts cannot be deleted or change id, programme or unit
--   (account_no_delete, account_identity_fixed), and neither table can be truncated. The unique
--   (id, programme_id, unit) on account existed only for those keys and goes with them. The
--   key from a resolution to its hold (pending_id) stays.
-- * a year's first allocation creates its 96,000 accounts and then, in the same transaction,
--   updates their balances; PostgreSQL re-checks the foreign keys of a row its own transaction
--   inserted whenever it is updated, so each account's four keys (programme, year, school,
--   category) were checked twice. They are now checked at commit (DEFERRABLE INITIALLY DEFERRED),
--   where only the row's last version is checked: once. A missing programme, year, school or
--   category still refuses the transaction, at its commit rather than at the insert.
--
-- What the database checks and refuses is unchanged, apart from the id rule above.

ALTER TABLE account SET (fillfactor = 50);

ALTER TABLE account
    ALTER CONSTRAINT account_programme_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT account_programme_year_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT account_school_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT account_category_id_fkey DEFERRABLE INITIALLY DEFERRED;

CREATE OR REPLACE FUNCTION account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'accounts cannot be deleted';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0 THEN
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
       (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending)
       IS DISTINCT FROM (OLD.debits_posted, OLD.credits_posted, OLD.debits_pending, OLD.credits_pending) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('account %s: balances change only by posting transfers', OLD.code);
    END IF;
    RETURN NEW;
END $$;

-- The function is called only when a WHEN condition says it will refuse. pg_trigger_depth() in a
-- WHEN condition is the depth of the statement that fires the trigger (the function itself then
-- runs one deeper): 0 for a direct UPDATE, 1 for the one inside ledger_apply_transfers.
DROP TRIGGER account_guard ON account;
CREATE TRIGGER account_no_delete BEFORE DELETE ON account
    FOR EACH ROW EXECUTE FUNCTION account_guard();
CREATE TRIGGER account_starts_at_zero BEFORE INSERT ON account
    FOR EACH ROW
    WHEN (NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0)
    EXECUTE FUNCTION account_guard();
CREATE TRIGGER account_identity_fixed BEFORE UPDATE ON account
    FOR EACH ROW
    WHEN ((NEW.id, NEW.programme_id, NEW.unit, NEW.code, NEW.normal_side, NEW.limit_kind, NEW.programme_year_id, NEW.school_id, NEW.category_id)
          IS DISTINCT FROM
          (OLD.id, OLD.programme_id, OLD.unit, OLD.code, OLD.normal_side, OLD.limit_kind, OLD.programme_year_id, OLD.school_id, OLD.category_id))
    EXECUTE FUNCTION account_guard();
CREATE TRIGGER account_balances_by_transfers_only BEFORE UPDATE ON account
    FOR EACH ROW
    WHEN (pg_trigger_depth() < 1 AND
          (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending)
          IS DISTINCT FROM (OLD.debits_posted, OLD.credits_posted, OLD.debits_pending, OLD.credits_pending))
    EXECUTE FUNCTION account_guard();

ALTER TABLE transfer
    DROP CONSTRAINT transfer_entry_id_programme_id_value_date_recorded_at_fkey,
    DROP CONSTRAINT transfer_debit_account_id_programme_id_unit_fkey,
    DROP CONSTRAINT transfer_credit_account_id_programme_id_unit_fkey;
ALTER TABLE account DROP CONSTRAINT account_id_programme_id_unit_key;

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
    -- releases what its hold held and, if it posts, posts its own amount
    -- (in one pass, so the arrays stay aligned; the lock below takes them in id order)
    SELECT array_agg(account_id), array_agg(programme_id), array_agg(unit),
           array_agg(sum_dp), array_agg(sum_cp), array_agg(sum_dq), array_agg(sum_cq)
      INTO ids, programmes, units, dp, cp, dq, cq
      FROM (SELECT e.account_id, t.programme_id, t.unit, sum(e.dp)::bigint AS sum_dp, sum(e.cp)::bigint AS sum_cp,
                   sum(e.dq)::bigint AS sum_dq, sum(e.cq)::bigint AS sum_cq
              FROM (SELECT n.programme_id, n.unit, n.debit_account_id, n.credit_account_id,
                           CASE WHEN n.kind IN ('posted', 'post_pending') THEN n.amount ELSE 0 END AS posts,
                           CASE n.kind WHEN 'pending' THEN n.amount WHEN 'posted' THEN 0
                                ELSE -(SELECT p.amount FROM transfer p WHERE p.id = n.pending_id) END AS holds
                      FROM inserted n) AS t
             CROSS JOIN LATERAL (VALUES (t.debit_account_id, t.posts, 0::bigint, t.holds, 0::bigint),
                                        (t.credit_account_id, 0::bigint, t.posts, 0::bigint, t.holds))
                   AS e(account_id, dp, cp, dq, cq)
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

    UPDATE account a
       SET debits_posted = a.debits_posted + d.dp,
           credits_posted = a.credits_posted + d.cp,
           debits_pending = a.debits_pending + d.dq,
           credits_pending = a.credits_pending + d.cq
      FROM unnest(ids, dp, cp, dq, cq) AS d(id, dp, cp, dq, cq)
     WHERE a.id = d.id;

    RETURN NULL;
END $$;
