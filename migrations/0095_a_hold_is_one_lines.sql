-- A hold is one line's. Migration 0091 (in 0094's form) keeps the hold a line is given its own: a pending transfer its
-- claim's submission wrote in the same transaction, for the line's amount or minutes, between the line's category's
-- accounts. Two lines of one claim with the same category and the same amount could still both name one of those
-- transfers, leaving the other line's transfer held by no line (docs/security.md, "Seen and left", 7 December). Nothing
-- was paid twice: the claim's decision (0093) resolves each hold of the submission once, as the lines say, so every
-- decision on such a claim was refused, and the claim stood submitted with a hold no line would ever release.
--
-- So a hold given to a line must not be held by another line of its claim, in either unit (a line's money hold and
-- time hold are of different units, so one line cannot name one transfer twice): refused at commit, GL021, naming the
-- line that holds it. The look-up is one probe of the claim's lines (claim_line_claim) for each hold given.
--
-- Lines written before this migration that share a hold are named in a WARNING and kept as they are, so that the service
-- still starts on that database.

CREATE OR REPLACE FUNCTION claim_line_holds_its_own() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    own boolean;
    held_by integer;
    what text;
    hold bigint;
BEGIN
    IF NEW.money_hold_id IS NOT NULL AND NEW.money_hold_id IS DISTINCT FROM OLD.money_hold_id THEN
        SELECT t.kind = 'pending' AND t.unit = 'GBP' AND t.amount = NEW.amount_pence AND t.recorded_at = now()
               AND e.cause_type = 'claim' AND e.cause_id = NEW.claim_id
               AND (d.school_id, d.programme_year_id, d.category_id, k.school_id, k.programme_year_id, k.category_id)
                   = (c.school_id, c.programme_year_id, NEW.category_id, c.school_id, c.programme_year_id, NEW.category_id)
               AND d.code LIKE '%:available' AND k.code LIKE '%:payable',
               (SELECT min(o.line_no) FROM claim_line o
                 WHERE o.claim_id = NEW.claim_id AND o.id <> NEW.id AND o.money_hold_id = NEW.money_hold_id)
          INTO own, held_by
          FROM transfer t
          JOIN journal_entry e ON e.id = t.entry_id
          JOIN account d ON d.id = t.debit_account_id
          JOIN account k ON k.id = t.credit_account_id
          JOIN claim c ON c.id = NEW.claim_id
         WHERE t.id = NEW.money_hold_id;
        IF own IS NOT TRUE OR held_by IS NOT NULL THEN
            what := 'money';
            hold := NEW.money_hold_id;
        END IF;
    END IF;
    IF what IS NULL AND NEW.time_hold_id IS NOT NULL AND NEW.time_hold_id IS DISTINCT FROM OLD.time_hold_id THEN
        SELECT t.kind = 'pending' AND t.unit = 'MIN' AND t.amount = NEW.minutes AND t.recorded_at = now()
               AND e.cause_type = 'claim' AND e.cause_id = NEW.claim_id
               AND (d.school_id, d.programme_year_id, d.category_id, k.school_id, k.programme_year_id, k.category_id)
                   = (c.school_id, c.programme_year_id, NEW.allowance_category_id, c.school_id, c.programme_year_id, NEW.allowance_category_id)
               AND d.code LIKE '%:available' AND k.code LIKE '%:used',
               (SELECT min(o.line_no) FROM claim_line o
                 WHERE o.claim_id = NEW.claim_id AND o.id <> NEW.id AND o.time_hold_id = NEW.time_hold_id)
          INTO own, held_by
          FROM transfer t
          JOIN journal_entry e ON e.id = t.entry_id
          JOIN account d ON d.id = t.debit_account_id
          JOIN account k ON k.id = t.credit_account_id
          JOIN claim c ON c.id = NEW.claim_id
         WHERE t.id = NEW.time_hold_id;
        IF own IS NOT TRUE OR held_by IS NOT NULL THEN
            what := 'time';
            hold := NEW.time_hold_id;
        END IF;
    END IF;
    IF what IS NOT NULL AND own IS TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'GL021',
            MESSAGE = format('claim %s line %s cannot hold transfer %s: line %s of the claim holds it, and a hold is one line''s',
                             NEW.claim_id, NEW.line_no, hold, held_by),
            DETAIL = json_build_object('claimId', NEW.claim_id, 'lineNo', NEW.line_no, 'hold', what, 'transferId', hold,
                                       'heldByLineNo', held_by)::text;
    ELSIF what IS NOT NULL THEN
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

DO $$
DECLARE
    shared text;
BEGIN
    SELECT string_agg(format('claim %s lines %s and %s (%s hold, transfer %s)', a.claim_id, a.line_no, b.line_no, v.what, v.hold_id),
                      '; ' ORDER BY a.claim_id, a.line_no, b.line_no, v.what)
      INTO shared
      FROM claim_line a
      JOIN claim_line b ON b.claim_id = a.claim_id AND b.line_no > a.line_no
      CROSS JOIN LATERAL (VALUES ('money', a.money_hold_id, b.money_hold_id), ('time', a.time_hold_id, b.time_hold_id))
           AS v(what, hold_id, other_id)
     WHERE v.hold_id = v.other_id;
    IF shared IS NOT NULL THEN
        RAISE WARNING 'claim lines sharing a hold, kept as they are (the rule holds from now on): %', shared;
    END IF;
END $$;
