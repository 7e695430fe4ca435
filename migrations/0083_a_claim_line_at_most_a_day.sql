-- A claim line claims at most one working day of time, 450 minutes (decision 22, Core/Claims/ClaimLines.MostMinutes):
-- the service refuses more, naming the line's hours or days. PostgreSQL now holds the same bound for a script or a second
-- service, in claim_line_valid (the trigger that checks what a line claims when it is set, 0055). It refuses a line
-- written with more, and a change of a line's minutes to more; a line written before the bound (the demo's PINS claim
-- once had a two-day visit) is not refused when something else of it changes, as a repricing of its rate or a review's
-- sanction, since its minutes are then what they were. A CHECK could not tell those apart.

CREATE OR REPLACE FUNCTION claim_line_valid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    -- the CHECKs of 0015, each NULL-tolerant as a CHECK is: only a false condition refuses; amounts, rates and minutes
    -- at most 1,000,000,000,000 (0062); a supplier and an invoice number one line that shows as stored (0066); a line's
    -- time at most a working day when it is written or its time changed (0083)
    failed := CASE
        WHEN NOT (NEW.line_no > 0) THEN 'claim_line_line_no_check'
        WHEN NOT (NEW.kind IN ('staff-time', 'tlr', 'support-hours', 'action-plan', 'specialist-days')) THEN 'claim_line_kind_check'
        WHEN NOT (NEW.amount_pence BETWEEN 0 AND 1000000000000) THEN 'claim_line_amount_pence_check'
        WHEN NOT (NEW.minutes BETWEEN 1 AND 1000000000000) THEN 'claim_line_minutes_check'
        WHEN NEW.minutes > 450 AND (TG_OP = 'INSERT' OR NEW.minutes IS DISTINCT FROM OLD.minutes) THEN 'claim_line_minutes_at_most_a_day'
        WHEN NOT (NEW.staff_ref ~ '^[A-Z]{1,10}-?[0-9]{1,6}$') THEN 'claim_line_staff_ref_check'
        WHEN NOT (NEW.staff_role IN ('leader', 'teacher', 'support-staff', 'specialist')) THEN 'claim_line_staff_role_check'
        WHEN NOT (NEW.rate_pence BETWEEN 0 AND 1000000000000) THEN 'claim_line_rate_pence_check'
        WHEN NOT (NEW.rate_basis IN ('day', 'hour', 'period')) THEN 'claim_line_rate_basis_check'
        WHEN NOT (length(NEW.supplier) <= 200) THEN 'claim_line_supplier_check'
        WHEN NOT (plain_line(NEW.supplier)) THEN 'claim_line_supplier_plain'
        WHEN NOT (length(NEW.invoice_ref) <= 100) THEN 'claim_line_invoice_ref_check'
        WHEN NOT (plain_line(NEW.invoice_ref)) THEN 'claim_line_invoice_ref_plain'
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
