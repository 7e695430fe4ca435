-- Amounts people type are read up to 10,000,000,000.00 (ten billion pounds; Core/Money/Hundredths.Most). Before, a
-- line of £92 quadrillion was taken, and nine of them on one claim overflowed every sum of its programme's claims: the
-- claims' pages and lists failed for everyone. The database holds the same limit for what a script writes: a claim
-- line's amount, rate and minutes, and an action plan's estimated cost, at most 1,000,000,000,000 (pence or minutes).
-- Rows already written are not checked again (NOT VALID): none can have been typed past the limit since the service
-- refuses it, and a deployment holding one should find it rather than fail to start.

CREATE OR REPLACE FUNCTION claim_line_valid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    -- the CHECKs of 0015, each NULL-tolerant as a CHECK is: only a false condition refuses; amounts, rates and minutes
    -- at most 1,000,000,000,000 (0062)
    failed := CASE
        WHEN NOT (NEW.line_no > 0) THEN 'claim_line_line_no_check'
        WHEN NOT (NEW.kind IN ('staff-time', 'tlr', 'support-hours', 'action-plan', 'specialist-days')) THEN 'claim_line_kind_check'
        WHEN NOT (NEW.amount_pence BETWEEN 0 AND 1000000000000) THEN 'claim_line_amount_pence_check'
        WHEN NOT (NEW.minutes BETWEEN 1 AND 1000000000000) THEN 'claim_line_minutes_check'
        WHEN NOT (NEW.staff_ref ~ '^[A-Z]{1,10}-?[0-9]{1,6}$') THEN 'claim_line_staff_ref_check'
        WHEN NOT (NEW.staff_role IN ('leader', 'teacher', 'support-staff', 'specialist')) THEN 'claim_line_staff_role_check'
        WHEN NOT (NEW.rate_pence BETWEEN 0 AND 1000000000000) THEN 'claim_line_rate_pence_check'
        WHEN NOT (NEW.rate_basis IN ('day', 'hour', 'period')) THEN 'claim_line_rate_basis_check'
        WHEN NOT (length(NEW.supplier) <= 200) THEN 'claim_line_supplier_check'
        WHEN NOT (length(NEW.invoice_ref) <= 100) THEN 'claim_line_invoice_ref_check'
        WHEN NOT (length(NEW.description) <= 500) THEN 'claim_line_description_check'
        WHEN NOT (NEW.category_id IS NOT NULL OR NEW.allowance_category_id IS NOT NULL) THEN 'claim_line_check'
        WHEN NOT (NEW.allowance_category_id IS NULL OR NEW.minutes IS NOT NULL) THEN 'claim_line_check1'
    END;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = failed, TABLE = 'claim_line',
            MESSAGE = format('new row for relation "claim_line" violates check constraint "%s"', failed);
    END IF;
    RETURN NEW;
END $$;


ALTER TABLE action_plan_action
    ADD CONSTRAINT action_plan_action_estimated_cost_at_most CHECK (estimated_cost_pence <= 1000000000000) NOT VALID;
