-- Migration 0091's check that a line's hold is its own, in a cheaper form: one SELECT INTO per hold given, where 0091 ran
-- one query over both of a line's holds (a VALUES list joined to the transfer, its entry, its two accounts and the claim)
-- and looped over its rows. The rule is the same, and so are the look-ups (the transfer, its entry, its two accounts and
-- the claim, each by its key); a line given only a money hold, as most are, runs one statement and no cursor, and an
-- account's leaf is compared with LIKE rather than a regular expression (an account's code ends in its leaf: 0003's CHECK).
-- Measured alone on the benchmark's cluster (docs/performance.md, section 71): 27–44 µs a line where 0091's form took
-- 37–70, on a slow VM. It runs at commit for every line a submission holds.

CREATE OR REPLACE FUNCTION claim_line_holds_its_own() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    own boolean;
    what text;
    hold bigint;
BEGIN
    IF NEW.money_hold_id IS NOT NULL AND NEW.money_hold_id IS DISTINCT FROM OLD.money_hold_id THEN
        SELECT t.kind = 'pending' AND t.unit = 'GBP' AND t.amount = NEW.amount_pence AND t.recorded_at = now()
               AND e.cause_type = 'claim' AND e.cause_id = NEW.claim_id
               AND (d.school_id, d.programme_year_id, d.category_id, k.school_id, k.programme_year_id, k.category_id)
                   = (c.school_id, c.programme_year_id, NEW.category_id, c.school_id, c.programme_year_id, NEW.category_id)
               AND d.code LIKE '%:available' AND k.code LIKE '%:payable'
          INTO own
          FROM transfer t
          JOIN journal_entry e ON e.id = t.entry_id
          JOIN account d ON d.id = t.debit_account_id
          JOIN account k ON k.id = t.credit_account_id
          JOIN claim c ON c.id = NEW.claim_id
         WHERE t.id = NEW.money_hold_id;
        IF own IS NOT TRUE THEN
            what := 'money';
            hold := NEW.money_hold_id;
        END IF;
    END IF;
    IF what IS NULL AND NEW.time_hold_id IS NOT NULL AND NEW.time_hold_id IS DISTINCT FROM OLD.time_hold_id THEN
        SELECT t.kind = 'pending' AND t.unit = 'MIN' AND t.amount = NEW.minutes AND t.recorded_at = now()
               AND e.cause_type = 'claim' AND e.cause_id = NEW.claim_id
               AND (d.school_id, d.programme_year_id, d.category_id, k.school_id, k.programme_year_id, k.category_id)
                   = (c.school_id, c.programme_year_id, NEW.allowance_category_id, c.school_id, c.programme_year_id, NEW.allowance_category_id)
               AND d.code LIKE '%:available' AND k.code LIKE '%:used'
          INTO own
          FROM transfer t
          JOIN journal_entry e ON e.id = t.entry_id
          JOIN account d ON d.id = t.debit_account_id
          JOIN account k ON k.id = t.credit_account_id
          JOIN claim c ON c.id = NEW.claim_id
         WHERE t.id = NEW.time_hold_id;
        IF own IS NOT TRUE THEN
            what := 'time';
            hold := NEW.time_hold_id;
        END IF;
    END IF;
    IF what IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'GL021',
            MESSAGE = format('claim %s line %s cannot hold transfer %s: a line''s %s hold is the pending transfer its claim''s '
                             'submission writes for it, in the same transaction, for its %s, from its school''s available '
                             'account to its %s account for its category in the claim''s year',
                             NEW.claim_id, NEW.line_no, hold, what,
                             CASE what WHEN 'money' THEN 'amount' ELSE 'minutes' END,
                             CASE what WHEN 'money' THEN 'payable' ELSE 'used' END),
            DETAIL = json_build_object('claimId', NEW.claim_id, 'lineNo', NEW.line_no, 'hold', what, 'transferId', hold)::text;
    END IF;
    RETURN NULL;
END $$;
