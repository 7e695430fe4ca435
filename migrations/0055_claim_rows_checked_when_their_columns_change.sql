-- Every claim transition updates its claim's row, and a submission or a review its lines' holds and sanctions.
-- PostgreSQL evaluates a table's CHECK constraints on every UPDATE of a row, whichever columns change, and reads
-- each one, and each trigger's WHEN condition, back from its stored text for every statement: 6 % of PostgreSQL's
-- CPU while four clients submitted one school's claims (docs/performance.md, section 13). Most of claim_line's
-- seventeen CHECKs and the nineteen-column WHEN of claim_line_frozen_columns are about columns a transition never
-- sets: a submission's UPDATE of its lines' holds took 78 µs of PostgreSQL's time, 34 µs with the rules moved as below.
--
-- So the rules a transition cannot touch run only when their columns are set:
--
-- * claim_line's thirteen CHECKs on what a line claims (its number, kind, categories, amount, minutes, staff, rate,
--   supplier, invoice and description) become claim_line_valid, a trigger BEFORE INSERT or an UPDATE OF those
--   columns. It refuses as the CHECK did: SQLSTATE 23514, the constraint's own name, the same message. The four
--   CHECKs on the sanctions (set by review) stay CHECKs.
-- * claim_line_frozen_columns and claim_identity_fixed keep their WHEN conditions and fire only for an UPDATE OF the
--   columns they compare. A column's value changes only if the UPDATE sets it or a BEFORE trigger changes it, and no
--   other BEFORE UPDATE trigger on these tables changes a row.
--
-- The existing rows passed the CHECKs, so nothing needs checking now.

CREATE FUNCTION claim_line_valid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    -- the CHECKs of 0015, each NULL-tolerant as a CHECK is: only a false condition refuses
    failed := CASE
        WHEN NOT (NEW.line_no > 0) THEN 'claim_line_line_no_check'
        WHEN NOT (NEW.kind IN ('staff-time', 'tlr', 'support-hours', 'action-plan', 'specialist-days')) THEN 'claim_line_kind_check'
        WHEN NOT (NEW.amount_pence >= 0) THEN 'claim_line_amount_pence_check'
        WHEN NOT (NEW.minutes > 0) THEN 'claim_line_minutes_check'
        WHEN NOT (NEW.staff_ref ~ '^[A-Z]{1,10}-?[0-9]{1,6}$') THEN 'claim_line_staff_ref_check'
        WHEN NOT (NEW.staff_role IN ('leader', 'teacher', 'support-staff', 'specialist')) THEN 'claim_line_staff_role_check'
        WHEN NOT (NEW.rate_pence >= 0) THEN 'claim_line_rate_pence_check'
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

ALTER TABLE claim_line
    DROP CONSTRAINT claim_line_line_no_check,
    DROP CONSTRAINT claim_line_kind_check,
    DROP CONSTRAINT claim_line_amount_pence_check,
    DROP CONSTRAINT claim_line_minutes_check,
    DROP CONSTRAINT claim_line_staff_ref_check,
    DROP CONSTRAINT claim_line_staff_role_check,
    DROP CONSTRAINT claim_line_rate_pence_check,
    DROP CONSTRAINT claim_line_rate_basis_check,
    DROP CONSTRAINT claim_line_supplier_check,
    DROP CONSTRAINT claim_line_invoice_ref_check,
    DROP CONSTRAINT claim_line_description_check,
    DROP CONSTRAINT claim_line_check,
    DROP CONSTRAINT claim_line_check1;

CREATE TRIGGER claim_line_valid
    BEFORE INSERT OR UPDATE OF line_no, kind, category_id, amount_pence, allowance_category_id, minutes, staff_ref, staff_role,
                               rate_pence, rate_basis, supplier, invoice_ref, description
    ON claim_line
    FOR EACH ROW EXECUTE FUNCTION claim_line_valid();

DROP TRIGGER claim_line_frozen_columns ON claim_line;
CREATE TRIGGER claim_line_frozen_columns
    BEFORE UPDATE OF id, claim_id, line_no, kind, category_id, amount_pence, allowance_category_id, minutes, staff_ref, staff_role,
                     activity, work_date, rate_id, rate_pence, rate_basis, action_id, supplier, invoice_ref, description
    ON claim_line
    FOR EACH ROW
    WHEN ((NEW.id, NEW.claim_id, NEW.line_no, NEW.kind, NEW.category_id, NEW.amount_pence, NEW.allowance_category_id,
           NEW.minutes, NEW.staff_ref, NEW.staff_role, NEW.activity, NEW.work_date, NEW.rate_id, NEW.rate_pence,
           NEW.rate_basis, NEW.action_id, NEW.supplier, NEW.invoice_ref, NEW.description)
          IS DISTINCT FROM
          (OLD.id, OLD.claim_id, OLD.line_no, OLD.kind, OLD.category_id, OLD.amount_pence, OLD.allowance_category_id,
           OLD.minutes, OLD.staff_ref, OLD.staff_role, OLD.activity, OLD.work_date, OLD.rate_id, OLD.rate_pence,
           OLD.rate_basis, OLD.action_id, OLD.supplier, OLD.invoice_ref, OLD.description))
    EXECUTE FUNCTION claim_row_frozen();

DROP TRIGGER claim_identity_fixed ON claim;
CREATE TRIGGER claim_identity_fixed
    BEFORE UPDATE OF id, programme_id, programme_year_id, period_id, school_id, created_by, created_at
    ON claim
    FOR EACH ROW
    WHEN (OLD.state <> 'draft'
          AND (NEW.id, NEW.programme_id, NEW.programme_year_id, NEW.period_id, NEW.school_id, NEW.created_by, NEW.created_at)
              IS DISTINCT FROM
              (OLD.id, OLD.programme_id, OLD.programme_year_id, OLD.period_id, OLD.school_id, OLD.created_by, OLD.created_at))
    EXECUTE FUNCTION claim_identity_fixed();
