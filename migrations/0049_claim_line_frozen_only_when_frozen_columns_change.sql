-- A submitted claim's lines change only through the workflow: review sets their holds and sanctions
-- (money_hold_id, time_hold_id, sanctioned_pence, sanction_reason), and nothing else changes once the claim
-- has left draft. claim_line_frozen (0015) enforced that with two gaps, and ran where it had nothing to do:
--
-- * it compared eleven of the line's columns, so a direct UPDATE of a submitted line's staff role, activity,
--   rate in pence or basis, supplier, invoice reference or description went through. It now compares every
--   column but the four that review sets;
-- * it checked only the claim a line belongs to after an UPDATE, so moving a line out of a submitted claim into
--   a draft went through. A line's claim now cannot change at all once either claim has left draft;
-- * it ran for every line each claim transition updates (a submission sets the holds, an approval the
--   sanctions) and read the claim's state each time, to find that nothing frozen had changed. The UPDATE case
--   is now the trigger's WHEN condition: the function runs only when a frozen column changes. INSERT and DELETE
--   still run it every time.

-- One function for the rows that belong to a claim, its lines here and its evidence (0050): each refuses the same
-- way, in its own words.
CREATE FUNCTION claim_row_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen record;
BEGIN
    -- the claim the row belongs to and, for an UPDATE that moves it, the claim it leaves
    SELECT c.id, c.state INTO frozen
      FROM claim c
     WHERE c.id IN (COALESCE(NEW.claim_id, OLD.claim_id), COALESCE(OLD.claim_id, NEW.claim_id))
       AND c.state <> 'draft'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL007',
            MESSAGE = format(CASE TG_TABLE_NAME WHEN 'evidence' THEN 'claim %s is %s: its evidence can no longer change'
                                                ELSE 'claim %s is %s: its lines change only through the workflow' END,
                             frozen.id, frozen.state);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;

DROP TRIGGER claim_line_frozen ON claim_line;
DROP FUNCTION claim_line_frozen();

CREATE TRIGGER claim_line_frozen BEFORE INSERT OR DELETE ON claim_line
    FOR EACH ROW EXECUTE FUNCTION claim_row_frozen();

CREATE TRIGGER claim_line_frozen_columns BEFORE UPDATE ON claim_line
    FOR EACH ROW
    WHEN ((NEW.id, NEW.claim_id, NEW.line_no, NEW.kind, NEW.category_id, NEW.amount_pence, NEW.allowance_category_id,
           NEW.minutes, NEW.staff_ref, NEW.staff_role, NEW.activity, NEW.work_date, NEW.rate_id, NEW.rate_pence,
           NEW.rate_basis, NEW.action_id, NEW.supplier, NEW.invoice_ref, NEW.description)
          IS DISTINCT FROM
          (OLD.id, OLD.claim_id, OLD.line_no, OLD.kind, OLD.category_id, OLD.amount_pence, OLD.allowance_category_id,
           OLD.minutes, OLD.staff_ref, OLD.staff_role, OLD.activity, OLD.work_date, OLD.rate_id, OLD.rate_pence,
           OLD.rate_basis, OLD.action_id, OLD.supplier, OLD.invoice_ref, OLD.description))
    EXECUTE FUNCTION claim_row_frozen();
