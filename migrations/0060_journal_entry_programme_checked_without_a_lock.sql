-- Every journal entry took a KEY SHARE lock on its programme's row, for its foreign key to programme. All of a
-- programme's entries name that one row, so writers posting at the same moment (two instances, an allocation beside
-- claims, a payment run, pgbench's one-statement ceiling) each made a new multixact of the others' locks on it —
-- 0.92 per transfer at four clients — and queued on its page (docs/performance.md, section 21). pgbench's
-- one-statement ceiling on a kept cluster, with and without the key, alternated (2 December, 12:06 UTC, 10 s each):
-- at four clients 1,206 and 1,076 transfers a second with it, 1,933 and 1,600 without; at eight, 1,453 and 1,155
-- with, 1,833 and 1,708 without.
--
-- As for accounts (0045): programmes are never deleted, truncated or renumbered (programme_stays,
-- programme_no_truncate, programme_id_fixed), so a programme that exists when an entry names it exists for good, and
-- checking it needs no lock. The entry's BEFORE INSERT trigger, journal_entry_open_period, now checks it, and refuses
-- with the same SQLSTATE (23503, foreign_key_violation) and the old constraint's name. An entry's programme cannot
-- change afterwards (journal_entry_immutable). What the database refuses is unchanged.

ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_programme_id_fkey;

CREATE OR REPLACE FUNCTION journal_entry_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed record;
BEGIN
    PERFORM FROM programme WHERE id = NEW.programme_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_entry_programme_id_fkey',
            MESSAGE = format('a journal entry names programme %s, which does not exist', NEW.programme_id);
    END IF;

    SELECT y.code AS year_code, p.name AS period_name, p.starts_on, p.ends_on,
           (y.closed_at IS NOT NULL) AS year_closed
      INTO closed
      FROM programme_year y
      LEFT JOIN period p ON p.programme_year_id = y.id AND NEW.value_date BETWEEN p.starts_on AND p.ends_on
     WHERE y.programme_id = NEW.programme_id
       AND NEW.value_date BETWEEN y.starts_on AND y.ends_on
       AND (y.closed_at IS NOT NULL OR (p.closed_at IS NOT NULL AND NEW.cause_type <> 'year_end'))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL003',
            MESSAGE = CASE WHEN closed.year_closed
                THEN format('the year %s is closed: nothing can be posted dated %s', closed.year_code, NEW.value_date)
                ELSE format('the period %s %s (%s to %s) is closed: nothing can be posted dated %s',
                            closed.period_name, closed.year_code, closed.starts_on, closed.ends_on, NEW.value_date) END,
            DETAIL = json_build_object('valueDate', NEW.value_date, 'year', closed.year_code, 'period', closed.period_name)::text;
    END IF;
    RETURN NEW;
END $$;
