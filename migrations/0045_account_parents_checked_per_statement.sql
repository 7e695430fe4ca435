-- A year's first allocation opens 96,000 school accounts in one statement (bench bulk,
-- docs/performance.md). Each account row had four foreign keys — to its programme, year, school
-- and budget category — checked one row at a time at commit (0044): 384,000 look-ups and row
-- locks of 24,000 schools, 4 categories, 1 year and 1 programme, about 4 s of a 15 s request.
--
-- The same rule is now checked once per statement (as 0044 did for transfer): an AFTER INSERT
-- trigger reads the statement's new accounts, takes each distinct programme, year, school and
-- category once, and refuses the whole statement with the same SQLSTATE (23503,
-- foreign_key_violation) and the old constraint's name if one does not exist.
--
-- What the keys also did for the rows they point at stays enforced, more simply: programmes,
-- years, schools and budget categories are never deleted (nothing in the service deletes them;
-- their ledger accounts and history outlive any change), cannot be truncated, and their id never
-- changes. A parent that exists when an account naming it is inserted therefore exists for good,
-- so the check needs no lock on it, and a parent's DELETE needs no look-up of its accounts (which,
-- under REPEATABLE READ, could miss accounts committed after the deleting transaction began). An
-- account's programme, year, school and category cannot change afterwards (account_identity_fixed),
-- so only INSERT is checked.

ALTER TABLE account
    DROP CONSTRAINT account_programme_id_fkey,
    DROP CONSTRAINT account_programme_year_id_fkey,
    DROP CONSTRAINT account_school_id_fkey,
    DROP CONSTRAINT account_category_id_fkey;

CREATE FUNCTION account_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- each distinct parent once, from one pass over the new rows: for an allocation 24,000
    -- schools, 4 categories, 1 year and 1 programme, not 96,000 rows' four keys. Each grouping
    -- set's rows carry one key; the others are null.
    SELECT k.programme_id, k.programme_year_id, k.school_id, k.category_id INTO bad
      FROM (SELECT programme_id, programme_year_id, school_id, category_id FROM inserted
             GROUP BY GROUPING SETS ((programme_id), (programme_year_id), (school_id), (category_id))) AS k
     WHERE (k.programme_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM programme p WHERE p.id = k.programme_id))
        OR (k.programme_year_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM programme_year y WHERE y.id = k.programme_year_id))
        OR (k.school_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM school s WHERE s.id = k.school_id))
        OR (k.category_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM budget_category c WHERE c.id = k.category_id))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation', TABLE = 'account',
            CONSTRAINT = CASE WHEN bad.programme_id IS NOT NULL THEN 'account_programme_id_fkey'
                              WHEN bad.programme_year_id IS NOT NULL THEN 'account_programme_year_id_fkey'
                              WHEN bad.school_id IS NOT NULL THEN 'account_school_id_fkey'
                              ELSE 'account_category_id_fkey' END,
            MESSAGE = CASE WHEN bad.programme_id IS NOT NULL THEN format('an account names programme %s, which does not exist', bad.programme_id)
                           WHEN bad.programme_year_id IS NOT NULL THEN format('an account names programme year %s, which does not exist', bad.programme_year_id)
                           WHEN bad.school_id IS NOT NULL THEN format('an account names school %s, which does not exist', bad.school_id)
                           ELSE format('an account names budget category %s, which does not exist', bad.category_id) END;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_parents_exist AFTER INSERT ON account
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION account_parents_exist();

-- Programmes, years, schools and categories stay: no DELETE, no TRUNCATE, no new id.
CREATE FUNCTION ledger_parent_stays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'GL002',
        MESSAGE = CASE WHEN TG_OP = 'UPDATE' THEN format('%s %s: its id cannot change', TG_TABLE_NAME, OLD.id)
                       ELSE format('%s rows are never removed (%s refused): ledger accounts and history name them', TG_TABLE_NAME, TG_OP) END;
END $$;

CREATE TRIGGER programme_stays BEFORE DELETE ON programme
    FOR EACH ROW EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER programme_id_fixed BEFORE UPDATE ON programme
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER programme_no_truncate BEFORE TRUNCATE ON programme
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_parent_stays();

CREATE TRIGGER programme_year_stays BEFORE DELETE ON programme_year
    FOR EACH ROW EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER programme_year_id_fixed BEFORE UPDATE ON programme_year
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER programme_year_no_truncate BEFORE TRUNCATE ON programme_year
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_parent_stays();

CREATE TRIGGER school_stays BEFORE DELETE ON school
    FOR EACH ROW EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER school_id_fixed BEFORE UPDATE ON school
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER school_no_truncate BEFORE TRUNCATE ON school
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_parent_stays();

CREATE TRIGGER budget_category_stays BEFORE DELETE ON budget_category
    FOR EACH ROW EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER budget_category_id_fixed BEFORE UPDATE ON budget_category
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION ledger_parent_stays();
CREATE TRIGGER budget_category_no_truncate BEFORE TRUNCATE ON budget_category
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_parent_stays();
