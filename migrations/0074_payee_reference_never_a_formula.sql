-- A school's payee reference goes into the payment file (CSV) that finance loads into the funder's finance system, and
-- into every export a spreadsheet opens. One that begins with =, +, - or @ is a formula to a spreadsheet: the files write
-- it with an apostrophe before it (Infrastructure/Csv.cs, against CSV injection), so the finance system would read a
-- reference the school does not have. A supplier account does not begin with a sign: the service refuses such a
-- reference (Programmes/PayeeReferences.cs); this CHECK holds the rule for a script or a second service.
--
-- Added NOT VALID, then validated if no row breaks it (as 0067's): one that stays NOT VALID still refuses a new
-- reference, and a change of an old row's until its reference is corrected.

ALTER TABLE school ADD CONSTRAINT school_payee_reference_no_formula CHECK (payee_reference !~ '^[=+@-]') NOT VALID;

DO $$
BEGIN
    ALTER TABLE school VALIDATE CONSTRAINT school_payee_reference_no_formula;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'school_payee_reference_no_formula stays NOT VALID: schools enrolled before migration 0074 have payee references beginning with =, +, - or @';
END $$;
