-- A school's payee reference is its supplier account in the funder's finance system, typed on a keyboard: letters,
-- digits, spaces and ASCII punctuation. A non-breaking space, a fullwidth letter or a Unicode hyphen made a reference
-- that looks like another school's (on a run's page, in the payment file) without being the same to the uniqueness
-- rule of 0065, which sets aside case and spaces only. The service refuses such references
-- (Programmes/PayeeReferences.cs); this CHECK holds the rule for a script or a second service.
--
-- Added NOT VALID, then validated if no row breaks it (as 0066's): one that stays NOT VALID still refuses a new
-- reference, and a change of an old row's until its reference is corrected.

ALTER TABLE school ADD CONSTRAINT school_payee_reference_keyboard CHECK (payee_reference ~ '^[\x20-\x7E]*$') NOT VALID;

DO $$
BEGIN
    ALTER TABLE school VALIDATE CONSTRAINT school_payee_reference_keyboard;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'school_payee_reference_keyboard stays NOT VALID: schools enrolled before migration 0067 have payee references with characters a keyboard does not type';
END $$;
