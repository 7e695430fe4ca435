-- An account, or a claim, lies within one programme: its school, year, budget category and half-term are its programme's,
-- as a school's area already is (0001). A script had made a programme's account for another programme's school and
-- allocated to it, an account of another programme's year, and moved a draft claim to another programme's school (found by
-- a review acting as a careless script, 7 December). The service only ever writes them so (Ledger/Accounts.cs,
-- Claims/Drafting.cs); PostgreSQL now holds it for a script or a second service.
--
-- A claim's, by composite foreign keys, added NOT VALID, then validated if no row breaks them (as 0074's): one that stays
-- NOT VALID still refuses a new row. An account's, by the statement trigger that already checks that its parents exist
-- (0045: a year's first allocation opens 96,000 accounts in one statement, whose per-row keys had cost 4 s), now asking for
-- each distinct parent with the account's programme rather than by its id alone: the same look-ups, no more.

ALTER TABLE school ADD CONSTRAINT school_id_programme UNIQUE (id, programme_id);
ALTER TABLE programme_year ADD CONSTRAINT programme_year_id_programme UNIQUE (id, programme_id);
ALTER TABLE period ADD CONSTRAINT period_id_year UNIQUE (id, programme_year_id);

ALTER TABLE claim
    ADD CONSTRAINT claim_school_of_its_programme FOREIGN KEY (school_id, programme_id) REFERENCES school (id, programme_id) NOT VALID,
    ADD CONSTRAINT claim_year_of_its_programme FOREIGN KEY (programme_year_id, programme_id) REFERENCES programme_year (id, programme_id) NOT VALID,
    ADD CONSTRAINT claim_half_term_of_its_year FOREIGN KEY (period_id, programme_year_id) REFERENCES period (id, programme_year_id) NOT VALID;

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tab, conname FROM pg_constraint
              WHERE conname IN ('claim_school_of_its_programme', 'claim_year_of_its_programme', 'claim_half_term_of_its_year')
                AND NOT convalidated ORDER BY conname
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tab, c.conname);
        EXCEPTION WHEN foreign_key_violation THEN
            RAISE WARNING '% stays NOT VALID: rows written before migration 0085 lie across programmes', c.conname;
        END;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION account_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- each distinct parent once, with the account's programme, from one pass over the new rows (0045). g tells the grouping
    -- set a row is of: 7 the programme alone, 3 with the year, 5 with the school, 6 with the category. The first found is
    -- named in that order, a missing parent by its foreign key's old name, one of another programme as such.
    SELECT k.g, k.programme_id, k.programme_year_id, k.school_id, k.category_id INTO bad
      FROM (SELECT GROUPING(programme_year_id, school_id, category_id) AS g, programme_id, programme_year_id, school_id, category_id
              FROM inserted
             GROUP BY GROUPING SETS ((programme_id), (programme_id, programme_year_id), (programme_id, school_id), (programme_id, category_id))) AS k
     WHERE (k.g = 7 AND NOT EXISTS (SELECT 1 FROM programme p WHERE p.id = k.programme_id))
        OR (k.g = 3 AND k.programme_year_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM programme_year y WHERE y.id = k.programme_year_id AND y.programme_id = k.programme_id))
        OR (k.g = 5 AND k.school_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM school s WHERE s.id = k.school_id AND s.programme_id = k.programme_id))
        OR (k.g = 6 AND k.category_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM budget_category c WHERE c.id = k.category_id AND c.programme_id = k.programme_id))
     ORDER BY CASE k.g WHEN 7 THEN 0 WHEN 3 THEN 1 WHEN 5 THEN 2 ELSE 3 END
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.g = 7 THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_programme_id_fkey',
            MESSAGE = format('an account names programme %s, which does not exist', bad.programme_id);
    ELSIF bad.g = 3 THEN
        IF NOT EXISTS (SELECT 1 FROM programme_year y WHERE y.id = bad.programme_year_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_programme_year_id_fkey',
                MESSAGE = format('an account names programme year %s, which does not exist', bad.programme_year_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_year_of_its_programme',
            MESSAGE = format('an account of programme %s names programme year %s, of another programme', bad.programme_id, bad.programme_year_id);
    ELSIF bad.g = 5 THEN
        IF NOT EXISTS (SELECT 1 FROM school s WHERE s.id = bad.school_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_school_id_fkey',
                MESSAGE = format('an account names school %s, which does not exist', bad.school_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_school_of_its_programme',
            MESSAGE = format('an account of programme %s names school %s, of another programme', bad.programme_id, bad.school_id);
    ELSE
        IF NOT EXISTS (SELECT 1 FROM budget_category c WHERE c.id = bad.category_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_category_id_fkey',
                MESSAGE = format('an account names budget category %s, which does not exist', bad.category_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'account', CONSTRAINT = 'account_category_of_its_programme',
            MESSAGE = format('an account of programme %s names budget category %s, of another programme', bad.programme_id, bad.category_id);
    END IF;
END $$;
