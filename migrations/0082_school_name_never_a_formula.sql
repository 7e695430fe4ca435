-- A school's name goes into the payment file (CSV) as the payee's name, beside its payee reference, and into every export
-- a spreadsheet opens. One that begins with =, +, - or @ is a formula to a spreadsheet: the files write it with an
-- apostrophe before it (Infrastructure/Csv.cs, against CSV injection), so the payment file would name the payee as the
-- school is not named. A school's name does not begin with a sign: the service refuses such a name (Programmes/Schools.cs,
-- as 0074 does a payee reference); this CHECK holds the rule for a script or a second service.
--
-- Added NOT VALID, then validated if no row breaks it (as 0074's): one that stays NOT VALID still refuses a new name, and
-- a change of an old row's until its name is corrected.

ALTER TABLE school ADD CONSTRAINT school_name_no_formula CHECK (name !~ '^[=+@-]') NOT VALID;

DO $$
BEGIN
    ALTER TABLE school VALIDATE CONSTRAINT school_name_no_formula;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'school_name_no_formula stays NOT VALID: schools enrolled before migration 0082 have names beginning with =, +, - or @';
END $$;
