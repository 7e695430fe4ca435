-- An account, or a claim, lies within one programme: its school, year, budget category and half-term are its programme's,
-- as a school's area already is (0001). A script had made a programme's account for another programme's school and
-- allocated to it, an account of another programme's year, and moved a draft claim to another programme's school (found by
-- a review acting as a careless script, 7 December). The service only ever writes them so (Ledger/Accounts.cs,
-- Claims/Drafting.cs); these composite foreign keys hold it for a script or a second service.
--
-- Added NOT VALID, then validated if no row breaks them (as 0074's): one that stays NOT VALID still refuses a new row.

ALTER TABLE school ADD CONSTRAINT school_id_programme UNIQUE (id, programme_id);
ALTER TABLE programme_year ADD CONSTRAINT programme_year_id_programme UNIQUE (id, programme_id);
ALTER TABLE budget_category ADD CONSTRAINT budget_category_id_programme UNIQUE (id, programme_id);
ALTER TABLE period ADD CONSTRAINT period_id_year UNIQUE (id, programme_year_id);

ALTER TABLE account
    ADD CONSTRAINT account_school_of_its_programme FOREIGN KEY (school_id, programme_id) REFERENCES school (id, programme_id) NOT VALID,
    ADD CONSTRAINT account_year_of_its_programme FOREIGN KEY (programme_year_id, programme_id) REFERENCES programme_year (id, programme_id) NOT VALID,
    ADD CONSTRAINT account_category_of_its_programme FOREIGN KEY (category_id, programme_id) REFERENCES budget_category (id, programme_id) NOT VALID;
ALTER TABLE claim
    ADD CONSTRAINT claim_school_of_its_programme FOREIGN KEY (school_id, programme_id) REFERENCES school (id, programme_id) NOT VALID,
    ADD CONSTRAINT claim_year_of_its_programme FOREIGN KEY (programme_year_id, programme_id) REFERENCES programme_year (id, programme_id) NOT VALID,
    ADD CONSTRAINT claim_half_term_of_its_year FOREIGN KEY (period_id, programme_year_id) REFERENCES period (id, programme_year_id) NOT VALID;

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tab, conname FROM pg_constraint
              WHERE conname IN ('account_school_of_its_programme', 'account_year_of_its_programme', 'account_category_of_its_programme',
                                'claim_school_of_its_programme', 'claim_year_of_its_programme', 'claim_half_term_of_its_year')
                AND NOT convalidated ORDER BY conname
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tab, c.conname);
        EXCEPTION WHEN foreign_key_violation THEN
            RAISE WARNING '% stays NOT VALID: rows written before migration 0085 lie across programmes', c.conname;
        END;
    END LOOP;
END $$;
