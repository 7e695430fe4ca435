-- The double-entry ledger. Amounts are integers in the unit's smallest step: pence (GBP) or
-- minutes of staff time (MIN). A transfer moves a positive amount from one debit account to one
-- credit account of the same programme and unit; a journal entry is one or more transfers
-- committed together. Two-phase transfers follow TigerBeetle: a 'pending' transfer reserves,
-- and exactly one later 'post_pending' (for at most the reserved amount; the rest is released)
-- or 'void_pending' (for exactly the reserved amount) resolves it.
--
-- Invariants enforced here, whoever writes:
--   * entries and transfers are append-only (UPDATE, DELETE and TRUNCATE are refused);
--   * account balances change only through transfers, in the same transaction;
--   * no limited account goes past its limit, even under concurrent writers;
--   * a pending transfer resolves at most once, never for more than it held;
--   * a reversal mirrors exactly the posted transfers of the entry it reverses, once;
--   * nothing is posted with a value date inside a closed period or year.

CREATE TABLE account (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    unit                text NOT NULL CHECK (unit IN ('GBP', 'MIN')),
    -- a readable path, e.g. pins:2025-26:school:100123:staff-cover:available
    code                text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9-]*(:[a-z0-9][a-z0-9-]*)*$' AND length(code) <= 200),
    name                text NOT NULL,
    normal_side         text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    limit_kind          text NOT NULL DEFAULT 'none'
                        CHECK (limit_kind IN ('none', 'debits_within_credits', 'credits_within_debits')),
    programme_year_id   bigint REFERENCES programme_year(id),
    school_id           bigint REFERENCES school(id),
    category_id         bigint REFERENCES budget_category(id),
    debits_posted       bigint NOT NULL DEFAULT 0,
    credits_posted      bigint NOT NULL DEFAULT 0,
    debits_pending      bigint NOT NULL DEFAULT 0,
    credits_pending     bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit, code),
    UNIQUE (id, programme_id, unit),
    CONSTRAINT account_totals_not_negative
        CHECK (debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0),
    -- the last line of defence; ledger_apply_transfers refuses first, saying by how much
    CONSTRAINT account_within_limit CHECK (
        (limit_kind <> 'debits_within_credits' OR debits_posted + debits_pending <= credits_posted) AND
        (limit_kind <> 'credits_within_debits' OR credits_posted + credits_pending <= debits_posted))
);
CREATE INDEX account_programme_code ON account (programme_id, code text_pattern_ops);
CREATE INDEX account_school ON account (school_id) WHERE school_id IS NOT NULL;

CREATE TABLE journal_entry (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    value_date          date NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    description         text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    actor_id            bigint REFERENCES app_user(id),
    -- why the money moved, and the record that caused it
    cause_type          text NOT NULL CHECK (cause_type IN
                        ('funding', 'allocation', 'virement', 'claim', 'payment_run', 'year_end', 'reversal')),
    cause_id            bigint,
    reverses_entry_id   bigint UNIQUE REFERENCES journal_entry(id),
    CHECK ((cause_type = 'reversal') = (reverses_entry_id IS NOT NULL)),
    -- lets transfers carry the entry's programme and dates by foreign key, so they cannot disagree
    UNIQUE (id, programme_id, value_date, recorded_at)
);
CREATE INDEX journal_entry_cause ON journal_entry (cause_type, cause_id);
CREATE INDEX journal_entry_value_date ON journal_entry (programme_id, value_date, id);

CREATE TABLE transfer (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id            bigint NOT NULL,
    programme_id        bigint NOT NULL,
    unit                text NOT NULL,
    debit_account_id    bigint NOT NULL,
    credit_account_id   bigint NOT NULL,
    amount              bigint NOT NULL CHECK (amount > 0),
    kind                text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
    pending_id          bigint REFERENCES transfer(id),
    value_date          date NOT NULL,
    recorded_at         timestamptz NOT NULL,
    FOREIGN KEY (entry_id, programme_id, value_date, recorded_at)
        REFERENCES journal_entry (id, programme_id, value_date, recorded_at),
    FOREIGN KEY (debit_account_id, programme_id, unit) REFERENCES account (id, programme_id, unit),
    FOREIGN KEY (credit_account_id, programme_id, unit) REFERENCES account (id, programme_id, unit),
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL))
);
-- a pending transfer resolves at most once
CREATE UNIQUE INDEX transfer_resolves_pending_once ON transfer (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX transfer_entry ON transfer (entry_id);
CREATE INDEX transfer_debit_account ON transfer (debit_account_id, value_date, id);
CREATE INDEX transfer_credit_account ON transfer (credit_account_id, value_date, id);

-- What a programme was funded with, what was allocated and what was moved between budgets:
-- the records that journal entries name as their cause.
CREATE TABLE funding (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    unit                text NOT NULL CHECK (unit IN ('GBP', 'MIN')),
    amount              bigint NOT NULL CHECK (amount > 0),
    reference           text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    created_by          bigint REFERENCES app_user(id),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE allocation (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    method              text NOT NULL CHECK (method IN ('explicit', 'split')),
    description         text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    line_count          integer NOT NULL CHECK (line_count > 0),
    created_by          bigint REFERENCES app_user(id),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE virement (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    from_account_id     bigint NOT NULL REFERENCES account(id),
    to_account_id       bigint NOT NULL REFERENCES account(id),
    unit                text NOT NULL CHECK (unit IN ('GBP', 'MIN')),
    amount              bigint NOT NULL CHECK (amount > 0),
    reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_by          bigint REFERENCES app_user(id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (from_account_id <> to_account_id)
);

------------------------------------------------------------------------------------------------
-- Append-only: entries and transfers are never changed or removed.

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'GL002',
        MESSAGE = format('%s rows are immutable: %s is refused; post a reversing entry instead', TG_TABLE_NAME, TG_OP);
END $$;

CREATE TRIGGER journal_entry_immutable BEFORE UPDATE OR DELETE ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER transfer_immutable BEFORE UPDATE OR DELETE ON transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER transfer_no_truncate BEFORE TRUNCATE ON transfer
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

------------------------------------------------------------------------------------------------
-- Accounts: created with zero balances; their identity never changes; their balances change
-- only inside ledger_apply_transfers (trigger depth 2), never by a direct UPDATE.

CREATE FUNCTION account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'accounts cannot be deleted';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'a new account starts with zero balances';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.programme_id, NEW.unit, NEW.code, NEW.normal_side, NEW.limit_kind, NEW.programme_year_id, NEW.school_id, NEW.category_id)
       IS DISTINCT FROM
       (OLD.programme_id, OLD.unit, OLD.code, OLD.normal_side, OLD.limit_kind, OLD.programme_year_id, OLD.school_id, OLD.category_id) THEN
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

CREATE TRIGGER account_guard BEFORE INSERT OR UPDATE OR DELETE ON account
    FOR EACH ROW EXECUTE FUNCTION account_guard();
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON account
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

------------------------------------------------------------------------------------------------
-- Closed periods and years refuse entries dated inside them.

CREATE FUNCTION journal_entry_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed record;
BEGIN
    SELECT y.code AS year_code, p.name AS period_name, p.starts_on, p.ends_on,
           (y.closed_at IS NOT NULL) AS year_closed
      INTO closed
      FROM programme_year y
      LEFT JOIN period p ON p.programme_year_id = y.id AND NEW.value_date BETWEEN p.starts_on AND p.ends_on
     WHERE y.programme_id = NEW.programme_id
       AND NEW.value_date BETWEEN y.starts_on AND y.ends_on
       AND (y.closed_at IS NOT NULL OR p.closed_at IS NOT NULL)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL003',
            MESSAGE = CASE WHEN closed.year_closed
                THEN format('the year %s is closed: nothing can be posted dated %s', closed.year_code, NEW.value_date)
                ELSE format('the period %s %s (%s to %s) is closed: nothing can be posted dated %s',
                            closed.period_name, closed.year_code, closed.starts_on, closed.ends_on, NEW.value_date) END,
            DETAIL = json_build_object('valueDate', NEW.value_date, 'year', closed.year_code, 'period', closed.period_name)::text;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER journal_entry_open_period BEFORE INSERT ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION journal_entry_open_period();

------------------------------------------------------------------------------------------------
-- Every entry has transfers; a reversal mirrors what it reverses. Checked at commit, when the
-- entry and its transfers are all in.

CREATE FUNCTION journal_entry_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM transfer WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL005', MESSAGE = format('journal entry %s has no transfers', NEW.id);
    END IF;
    IF NEW.reverses_entry_id IS NOT NULL AND EXISTS (
        (SELECT unit, credit_account_id, debit_account_id, amount FROM transfer
          WHERE entry_id = NEW.reverses_entry_id AND kind IN ('posted', 'post_pending')
         EXCEPT ALL
         SELECT unit, debit_account_id, credit_account_id, amount FROM transfer
          WHERE entry_id = NEW.id AND kind = 'posted')
        UNION ALL
        (SELECT unit, debit_account_id, credit_account_id, amount FROM transfer
          WHERE entry_id = NEW.id
         EXCEPT ALL
         SELECT unit, credit_account_id, debit_account_id, amount FROM transfer
          WHERE entry_id = NEW.reverses_entry_id AND kind IN ('posted', 'post_pending')))
    THEN
        RAISE EXCEPTION USING ERRCODE = 'GL006',
            MESSAGE = format('journal entry %s must mirror exactly the posted transfers of entry %s, which it reverses',
                             NEW.id, NEW.reverses_entry_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_entry_complete AFTER INSERT ON journal_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_complete();

------------------------------------------------------------------------------------------------
-- What each transfer does to each of its two accounts, defined once: the balance trigger,
-- as-of balances, statements and verification all read it. A resolution releases what the
-- pending transfer held and, if it posts, posts its own amount.

CREATE VIEW transfer_effect AS
SELECT t.id AS transfer_id, t.entry_id, t.programme_id, t.unit, t.kind, t.value_date, t.recorded_at,
       t.debit_account_id AS account_id, t.credit_account_id AS other_account_id, 'debit'::text AS side, t.amount,
       CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END AS debits_posted,
       0::bigint AS credits_posted,
       CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -p.amount END AS debits_pending,
       0::bigint AS credits_pending
  FROM transfer t LEFT JOIN transfer p ON p.id = t.pending_id
UNION ALL
SELECT t.id, t.entry_id, t.programme_id, t.unit, t.kind, t.value_date, t.recorded_at,
       t.credit_account_id, t.debit_account_id, 'credit', t.amount,
       0,
       CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END,
       0,
       CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -p.amount END
  FROM transfer t LEFT JOIN transfer p ON p.id = t.pending_id;

-- Balances as the ledger stood: by value date, and by what had been recorded by a moment
-- (what we said on 31 March, against what we now know about 31 March).
CREATE FUNCTION account_balances_as_of(p_programme_id bigint, p_value_date date,
                                       p_recorded_by timestamptz DEFAULT 'infinity')
RETURNS TABLE (account_id bigint, debits_posted bigint, credits_posted bigint,
               debits_pending bigint, credits_pending bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.account_id, sum(e.debits_posted)::bigint, sum(e.credits_posted)::bigint,
           sum(e.debits_pending)::bigint, sum(e.credits_pending)::bigint
      FROM transfer_effect e
     WHERE e.programme_id = p_programme_id
       AND e.value_date <= p_value_date
       AND e.recorded_at <= p_recorded_by
     GROUP BY e.account_id
$$;

------------------------------------------------------------------------------------------------
-- Balances follow transfers in the same statement. Set-based, so that 96,000 allocations in
-- one INSERT cost one pass, and accounts are locked in id order so that concurrent entries
-- touching the same accounts queue instead of deadlocking.

CREATE FUNCTION ledger_apply_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
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
      JOIN transfer p ON p.id = n.pending_id
     WHERE p.kind <> 'pending'
        OR p.debit_account_id <> n.debit_account_id
        OR p.credit_account_id <> n.credit_account_id
        OR (n.kind = 'post_pending' AND n.amount > p.amount)
        OR (n.kind = 'void_pending' AND n.amount <> p.amount)
        OR n.value_date < p.value_date
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

    SELECT a.id, a.code, a.unit,
           CASE a.limit_kind
               WHEN 'debits_within_credits' THEN (a.debits_posted + d.dp) + (a.debits_pending + d.dq) - (a.credits_posted + d.cp)
               ELSE (a.credits_posted + d.cp) + (a.credits_pending + d.cq) - (a.debits_posted + d.dp) END AS shortfall
      INTO bad
      FROM unnest(ids, dp, cp, dq, cq) AS d(id, dp, cp, dq, cq)
      JOIN account a ON a.id = d.id
     WHERE (a.limit_kind = 'debits_within_credits'
            AND (a.debits_posted + d.dp) + (a.debits_pending + d.dq) > a.credits_posted + d.cp)
        OR (a.limit_kind = 'credits_within_debits'
            AND (a.credits_posted + d.cp) + (a.credits_pending + d.cq) > a.debits_posted + d.dp)
     ORDER BY a.id
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

CREATE TRIGGER transfer_apply AFTER INSERT ON transfer
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_transfers();
