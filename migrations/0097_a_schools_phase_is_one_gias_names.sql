-- A school's phase of education is one of the phases Get Information about Schools names (its "PhaseOfEducation (name)"
-- column, which an import of schools reads), spelt as GIAS spells it: Nursery, Primary, Middle deemed primary,
-- Secondary, Middle deemed secondary, 16 plus, All-through, Not applicable. It was free text, so one school's
-- "primary" and another's "Primary school" could not be counted or found together. The service takes a phase in any
-- case and keeps GIAS's spelling (Programmes/Schools.cs, Schools.Phases); the database holds the list for a script or a
-- second service.
--
-- The CHECK is added NOT VALID, so that a database holding another phase from before still starts, and then validated
-- if no row breaks it; otherwise a WARNING names the schools, which are kept as they are. One that stays NOT VALID still
-- refuses a new school, and a change to an old one until its phase is given (the service says so, naming the field).

ALTER TABLE school ADD CONSTRAINT school_phase_known CHECK (phase IN
    ('Nursery', 'Primary', 'Middle deemed primary', 'Secondary', 'Middle deemed secondary', '16 plus', 'All-through', 'Not applicable'))
    NOT VALID;

DO $$
DECLARE
    others text;
BEGIN
    SELECT string_agg(format('%s (URN %s): %L', name, urn, phase), '; ' ORDER BY programme_id, urn) INTO others
      FROM (SELECT * FROM school
             WHERE phase NOT IN ('Nursery', 'Primary', 'Middle deemed primary', 'Secondary', 'Middle deemed secondary', '16 plus',
                                 'All-through', 'Not applicable')
             ORDER BY programme_id, urn LIMIT 50) s;
    IF others IS NULL THEN
        ALTER TABLE school VALIDATE CONSTRAINT school_phase_known;
    ELSE
        RAISE WARNING 'schools whose phase is not one GIAS names, kept as they are until a programme admin gives each its phase (the first 50): %', others;
    END IF;
END $$;
