-- Two things: names and references hold only characters that show as they are stored (first), and an answer given
-- again for an Idempotency-Key keeps its own headers (last).
--
-- Text that says who someone is or where money goes — the names of programmes, funders, areas, budget categories,
-- schools, users and rates, a school's phase, local authority and payee reference, a user's e-mail, a claim line's
-- supplier and invoice number — is one line of characters that show as they are stored: no control characters, and
-- none of Unicode's format characters (the invisible and direction-changing ones: bidi overrides, embeddings,
-- isolates and marks, zero-width spaces and joiners, the word joiner, the byte order mark …) nor the line and
-- paragraph separators. With them one supplier's name is made to read as another's, or a user's as a colleague's.
-- The service refuses these characters in every free-text field (Core/Rules/FreeText.cs, one rule); the database
-- holds the rule for these columns too, for a script or a second service. Reasons, descriptions and notes are
-- checked by the service alone (they may keep line breaks, and are nobody's identity).
--
-- plain_line lists the characters of Unicode's categories Cc, Cf, Zl and Zp, as .NET 10 classes them; a
-- test compares it with the service's rule for every code point.
--
-- The CHECKs are added NOT VALID, so that a database holding such a row from before still starts; each is then
-- validated if no row breaks it. One that stays NOT VALID still refuses a new row, and an UPDATE of an old row until
-- its text is corrected (docs/security.md, "Text that shows as it is stored", has the query that finds them).
-- claim_line's are added to claim_line_valid, the trigger that checks what a line claims when it is set (0055): a
-- CHECK there would be evaluated by every review's UPDATE of the lines' sanctions.

CREATE FUNCTION plain_line(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN value !~ '[\u0001-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]';

ALTER TABLE programme
    ADD CONSTRAINT programme_name_plain CHECK (plain_line(name)) NOT VALID,
    ADD CONSTRAINT programme_funder_plain CHECK (plain_line(funder)) NOT VALID;
ALTER TABLE area ADD CONSTRAINT area_name_plain CHECK (plain_line(name)) NOT VALID;
ALTER TABLE budget_category ADD CONSTRAINT budget_category_name_plain CHECK (plain_line(name)) NOT VALID;
ALTER TABLE school
    ADD CONSTRAINT school_name_plain CHECK (plain_line(name)) NOT VALID,
    ADD CONSTRAINT school_phase_plain CHECK (plain_line(phase)) NOT VALID,
    ADD CONSTRAINT school_local_authority_plain CHECK (plain_line(local_authority)) NOT VALID,
    ADD CONSTRAINT school_payee_reference_plain CHECK (plain_line(payee_reference)) NOT VALID;
ALTER TABLE app_user
    ADD CONSTRAINT app_user_user_name_plain CHECK (plain_line(user_name)) NOT VALID,
    ADD CONSTRAINT app_user_display_name_plain CHECK (plain_line(display_name)) NOT VALID,
    ADD CONSTRAINT app_user_email_plain CHECK (plain_line(email)) NOT VALID;
ALTER TABLE rate ADD CONSTRAINT rate_name_plain CHECK (plain_line(name)) NOT VALID;

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tab, conname FROM pg_constraint
              WHERE conname LIKE '%\_plain' AND contype = 'c' AND NOT convalidated ORDER BY conname
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tab, c.conname);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING '% stays NOT VALID: rows written before migration 0066 hold text that does not show as stored', c.conname;
        END;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION claim_line_valid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    -- the CHECKs of 0015, each NULL-tolerant as a CHECK is: only a false condition refuses; amounts, rates and minutes
    -- at most 1,000,000,000,000 (0062); a supplier and an invoice number one line that shows as stored (0066)
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

-- Every write of the API takes an Idempotency-Key (Infrastructure/Idempotency.cs), so a replayed answer gives back the
-- headers its operation sets besides Location: a claim's or a run's ETag, a payment file's name (Content-Disposition)
-- and SHA-256 (X-Content-SHA256). Keys stored before keep none.
ALTER TABLE idempotency_key ADD COLUMN response_headers jsonb;
