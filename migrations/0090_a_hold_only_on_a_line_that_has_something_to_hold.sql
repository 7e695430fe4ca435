-- A claim line's holds are on what it has to hold: its money hold on a line with a budget category and an amount, its time
-- hold on a line with an allowance category and minutes, as the service's submission gives them (ClaimLedger: a pending
-- transfer for each). Migration 0086 fixed a line's holds and sanction from the claim's first approval on, but its trigger's
-- WHEN leaves out the shape a submission writes (a hold onto a line that had none), so that a submission calls no function
-- per line: a line that held nothing and was approved in full could then be given a hold by a script, naming any transfer
-- (docs/security.md, "Seen and left", 7 December). Such a line has nothing to hold, in any state, so a CHECK on the row
-- refuses it (23514), at no cost to a submission beyond comparing two columns it writes.
--
-- Rows written before this migration are checked as it runs: if none breaks the rule the constraints are validated; if a
-- script left one, each is named in a WARNING and the constraints hold for every row written from now on (NOT VALID), so that
-- the service still starts on that database.

ALTER TABLE claim_line
    ADD CONSTRAINT claim_line_money_hold_on_an_amount
        CHECK (money_hold_id IS NULL OR (category_id IS NOT NULL AND amount_pence > 0)) NOT VALID,
    ADD CONSTRAINT claim_line_time_hold_on_minutes
        CHECK (time_hold_id IS NULL OR (allowance_category_id IS NOT NULL AND minutes > 0)) NOT VALID;

DO $$
DECLARE
    held text;
BEGIN
    SELECT string_agg(format('claim %s line %s', claim_id, line_no), '; ' ORDER BY claim_id, line_no)
      INTO held
      FROM claim_line
     WHERE NOT (money_hold_id IS NULL OR (category_id IS NOT NULL AND amount_pence > 0))
        OR NOT (time_hold_id IS NULL OR (allowance_category_id IS NOT NULL AND minutes > 0));
    IF held IS NULL THEN
        ALTER TABLE claim_line VALIDATE CONSTRAINT claim_line_money_hold_on_an_amount;
        ALTER TABLE claim_line VALIDATE CONSTRAINT claim_line_time_hold_on_minutes;
    ELSE
        RAISE WARNING 'claim lines holding what they have nothing to hold, kept as they are (the rule holds from now on): %', held;
    END IF;
END $$;
