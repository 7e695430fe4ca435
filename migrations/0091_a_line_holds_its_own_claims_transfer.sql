-- A claim line's hold is its own: the pending transfer that its claim's submission wrote for it. ClaimLedger gives each
-- line with an amount a money hold (its amount, from its school's available account for its budget category to the
-- category's payable account, in the claim's year), and each line with minutes a time hold (its minutes, from the
-- allowance's available account to its used account), all in the submission's one entry, whose cause is the claim.
-- Approval posts each hold (its sanctioned amount), a return, rejection or withdrawal voids it: whatever transfer a line
-- names as its hold is what the claim's decision resolves.
--
-- Migration 0086 fixed the holds from the claim's first approval on and 0090 kept them off lines with nothing to hold.
-- Before the first approval a script could still point a line's hold at any transfer: another claim's hold, another
-- school's, the line's own earlier hold, or one for another amount (docs/security.md, "Seen and left", 7 December); the
-- approval would then have posted that transfer, or voided another claim's.
--
-- So a hold that a line is given (a new line's, or one changed to another transfer) must be, when the transaction
-- commits (the submission writes the line's hold before its entry, on the ids it reserved):
-- * a pending transfer of an entry whose cause is the line's claim, written in this transaction (recorded now);
-- * for the line's amount in pence (a money hold, unit GBP) or its minutes (a time hold, unit MIN);
-- * debiting the `available` account and crediting the `payable` (money) or `used` (time) account of the claim's school
--   and year, for the line's budget category (money) or allowance category (time): the leaves of Chart.Available and
--   Chart.Claimed in GrantLedger.Core.
-- Refused otherwise (GL021). A hold cleared (a return voids the holds and clears them) is not checked.
--
-- Rows written before this migration are checked as it runs, on all but their time: a line whose hold breaks the rule is
-- named in a WARNING and kept as it is, so that the service still starts on that database.

CREATE FUNCTION claim_line_holds_its_own() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    h record;
BEGIN
    FOR h IN
        SELECT v.what, v.hold_id,
               t.kind = 'pending' AND t.unit = v.unit AND t.amount = v.amount AND t.recorded_at = now()
               AND e.cause_type = 'claim' AND e.cause_id = NEW.claim_id
               AND (d.school_id, d.programme_year_id, d.category_id, substring(d.code FROM '[^:]*$'))
                   = (c.school_id, c.programme_year_id, v.category_id, 'available')
               AND (k.school_id, k.programme_year_id, k.category_id, substring(k.code FROM '[^:]*$'))
                   = (c.school_id, c.programme_year_id, v.category_id, v.leaf) AS own
          FROM (VALUES ('money', NEW.money_hold_id, OLD.money_hold_id, NEW.category_id, NEW.amount_pence, 'GBP', 'payable'),
                       ('time', NEW.time_hold_id, OLD.time_hold_id, NEW.allowance_category_id, NEW.minutes, 'MIN', 'used'))
               AS v(what, hold_id, old_id, category_id, amount, unit, leaf)
          JOIN claim c ON c.id = NEW.claim_id
          LEFT JOIN transfer t ON t.id = v.hold_id
          LEFT JOIN journal_entry e ON e.id = t.entry_id
          LEFT JOIN account d ON d.id = t.debit_account_id
          LEFT JOIN account k ON k.id = t.credit_account_id
         WHERE v.hold_id IS NOT NULL AND v.hold_id IS DISTINCT FROM v.old_id
    LOOP
        IF h.own IS NOT TRUE THEN
            RAISE EXCEPTION USING ERRCODE = 'GL021',
                MESSAGE = format('claim %s line %s cannot hold transfer %s: a line''s %s hold is the pending transfer its claim''s '
                                 'submission writes for it, in the same transaction, for its %s, from its school''s available '
                                 'account to its %s account for its category in the claim''s year',
                                 NEW.claim_id, NEW.line_no, h.hold_id, h.what,
                                 CASE h.what WHEN 'money' THEN 'amount' ELSE 'minutes' END,
                                 CASE h.what WHEN 'money' THEN 'payable' ELSE 'used' END),
                DETAIL = json_build_object('claimId', NEW.claim_id, 'lineNo', NEW.line_no, 'hold', h.what, 'transferId', h.hold_id)::text;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER claim_line_holds_its_own_given AFTER INSERT ON claim_line
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.money_hold_id IS NOT NULL OR NEW.time_hold_id IS NOT NULL)
    EXECUTE FUNCTION claim_line_holds_its_own();

CREATE CONSTRAINT TRIGGER claim_line_holds_its_own_changed AFTER UPDATE OF money_hold_id, time_hold_id ON claim_line
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN ((NEW.money_hold_id IS NOT NULL AND NEW.money_hold_id IS DISTINCT FROM OLD.money_hold_id)
          OR (NEW.time_hold_id IS NOT NULL AND NEW.time_hold_id IS DISTINCT FROM OLD.time_hold_id))
    EXECUTE FUNCTION claim_line_holds_its_own();

DO $$
DECLARE
    held text;
BEGIN
    SELECT string_agg(format('claim %s line %s (%s hold, transfer %s)', x.claim_id, x.line_no, x.what, x.hold_id), '; '
                      ORDER BY x.claim_id, x.line_no, x.what)
      INTO held
      FROM (SELECT l.claim_id, l.line_no, v.what, v.hold_id,
                   t.kind = 'pending' AND t.unit = v.unit AND t.amount = v.amount
                   AND e.cause_type = 'claim' AND e.cause_id = l.claim_id
                   AND (d.school_id, d.programme_year_id, d.category_id, substring(d.code FROM '[^:]*$'))
                       = (c.school_id, c.programme_year_id, v.category_id, 'available')
                   AND (k.school_id, k.programme_year_id, k.category_id, substring(k.code FROM '[^:]*$'))
                       = (c.school_id, c.programme_year_id, v.category_id, v.leaf) AS own
              FROM claim_line l
              JOIN claim c ON c.id = l.claim_id
              CROSS JOIN LATERAL (VALUES ('money', l.money_hold_id, l.category_id, l.amount_pence, 'GBP', 'payable'),
                                         ('time', l.time_hold_id, l.allowance_category_id, l.minutes, 'MIN', 'used'))
                   AS v(what, hold_id, category_id, amount, unit, leaf)
              LEFT JOIN transfer t ON t.id = v.hold_id
              LEFT JOIN journal_entry e ON e.id = t.entry_id
              LEFT JOIN account d ON d.id = t.debit_account_id
              LEFT JOIN account k ON k.id = t.credit_account_id
             WHERE v.hold_id IS NOT NULL) x
     WHERE x.own IS NOT TRUE;
    IF held IS NOT NULL THEN
        RAISE WARNING 'claim lines holding a transfer that is not their claim''s hold for them, kept as they are (the rule holds from now on): %', held;
    END IF;
END $$;
