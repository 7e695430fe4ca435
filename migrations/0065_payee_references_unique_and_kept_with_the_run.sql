-- Payment details a finance officer and an auditor can trust.
--
-- 1. Two schools of one programme cannot share a payee reference: a payment file would pay both into one account.
--    References are compared as the finance system matches them: case aside, spaces aside ('SUP 001' is 'sup001').
--    A database that already holds such a pair stops here, naming each pair: nothing picks one school for you.
-- 2. Each payee of an exported run keeps the payee reference its file carried (decision 0017), so the run's page and
--    API say what was paid to which account after the school's reference changes. Runs exported before this
--    migration take it from their file, which is kept byte for byte.

CREATE FUNCTION payee_reference_key(reference text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN upper(regexp_replace(reference, '\s', '', 'g'));

DO $$
DECLARE
    shared text;
BEGIN
    SELECT string_agg(format('programme %s, %s', p.code, d.schools), '; ' ORDER BY p.code, d.key)
      INTO shared
      FROM (SELECT s.programme_id, payee_reference_key(s.payee_reference) AS key,
                   string_agg(format('school %s (URN %s, %s) has %L', s.id, s.urn, s.name, s.payee_reference), ', ' ORDER BY s.urn) AS schools
              FROM school s
             WHERE s.payee_reference IS NOT NULL
             GROUP BY 1, 2
            HAVING count(*) > 1) d
      JOIN programme p ON p.id = d.programme_id;
    IF shared IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = 'schools of one programme share a payee reference (compared without case and spaces), so one payment '
                      || 'file would pay them into one account: ' || shared,
            HINT = 'Give each school its own reference (its supplier account in the finance system, '
                   || 'PUT /api/v1/schools/{id}/payee-reference) and start the service again: this migration then applies.';
    END IF;
END $$;

CREATE UNIQUE INDEX school_payee_reference_unique ON school (programme_id, payee_reference_key(payee_reference));

-- The reference written into the payment file for this payee, as the school had it then (the file writes it
-- CSV-safe: quoted if need be, an apostrophe before a leading = + - @). Empty until the run is exported.
ALTER TABLE payment_run_payee ADD COLUMN payee_reference text;

-- Runs exported already: on each D line of the file, the field before the amount and the remittance reference (one
-- pass over each file: a national run's file has 24,000 lines).
WITH d AS (
    SELECT r.id AS run_id, m[2] AS remittance_reference,
           CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"') ELSE m[1] END AS field
      FROM payment_run r,
           regexp_matches(convert_from(r.file, 'UTF8'),
               '\nD,[^,]*,[^,]*,(?:"(?:[^"]|"")*"|[^,"]*),("(?:[^"]|"")*"|[^,"]*),[0-9]+\.[0-9]{2},([^,]*),', 'g') AS m
     WHERE r.file IS NOT NULL)
UPDATE payment_run_payee py
   -- an apostrophe the file put before a leading = + - @ (never before a plain number such as -12.50) is not the reference's
   SET payee_reference = CASE WHEN u.field ~ '^''[=+@\t\r-]' AND u.field !~ '^''[+-]?[0-9]+(\.[0-9]+)?$'
                              THEN substr(u.field, 2) ELSE u.field END
  FROM d u
 WHERE u.run_id = py.payment_run_id AND u.remittance_reference = py.remittance_reference;

DO $$
DECLARE
    unread text;
BEGIN
    SELECT string_agg(py.remittance_reference, ', ' ORDER BY py.id)
      INTO unread
      FROM payment_run_payee py JOIN payment_run r ON r.id = py.payment_run_id
     WHERE r.file IS NOT NULL AND coalesce(py.payee_reference, '') = '';
    IF unread IS NOT NULL THEN
        RAISE EXCEPTION 'the payment files of exported runs have no payee reference on the D line of: %', unread;
    END IF;
END $$;

-- A recorded reference never changes, and a run is exported only with every payee's reference recorded (beside the
-- guards of 0020, which keep a confirmed payment and an exported file as they are).
CREATE FUNCTION payment_run_payee_reference_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.payee_reference IS NOT NULL AND NEW.payee_reference IS DISTINCT FROM OLD.payee_reference THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment %s was exported to payee reference %L: that stays as the file says', OLD.remittance_reference, OLD.payee_reference);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_payee_reference_kept BEFORE UPDATE OF payee_reference ON payment_run_payee
    FOR EACH ROW EXECUTE FUNCTION payment_run_payee_reference_kept();

CREATE FUNCTION payment_run_exported_with_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM payment_run_payee WHERE payment_run_id = NEW.id AND payee_reference IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment run %s cannot be exported before each payee''s payee reference is recorded with it', NEW.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_exported_with_references BEFORE UPDATE OF file_sha256 ON payment_run
    FOR EACH ROW WHEN (OLD.file_sha256 IS NULL AND NEW.file_sha256 IS NOT NULL)
    EXECUTE FUNCTION payment_run_exported_with_references();
