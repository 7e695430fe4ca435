-- Three rules a careless script with plain DML could still get round, found by a review acting as one (7 December;
-- docs/security.md, "What a script with SQL cannot rewrite"): staff_day rows could be edited, a journal entry with cause
-- year_end could post into a closed half-term of a year still open, and T-01 and T01 were two people to the TLR's once per
-- half-term. Each rule is the service's already; PostgreSQL now holds it for a script or a second service too.

-- 1. A staff reference is letters, an optional hyphen, digits (^[A-Z]{1,10}-?[0-9]{1,6}$, ClaimLines.StaffRefPattern):
-- T-01 and T01 are one person. Both rules kept per staff member compared references as text, so a school's T01 was
-- claimed for a full day on a date T-01 already had, and T01's TLR was paid in a half-term T-01's was. A reference is
-- now compared by its key, the reference without its hyphen (replace(staff_ref, '-', ''), ClaimLines.StaffKey): a line
-- keeps the reference as the school typed it, and the pages, exports and refusals show it so.

-- 2. A staff day (staff_day, 0015, 0047, 0070) is the minutes a school's claims hold of one staff member on one date: the
-- staff-time and support-hours lines (ClaimLines.CountsStaffDay) of its claims that are submitted or further on (every
-- state but draft, rejected and withdrawn). The service booked them as a claim was submitted and released them as it was
-- returned, rejected or withdrawn, by statements of its own, which a script could send too, or leave out: a day set to 0
-- (or deleted) let the same person be claimed for it again, and a claim submitted by a script booked nothing.
--
-- Now the claim's own UPDATE books its days: claim_staff_days fires when a claim's state moves into or out of the held
-- states, reads the claim's lines (its index, claim_line_claim) and books each staff member's day (staff_day_book's
-- upsert on the day's key, refused with GL009 past a full day) or releases it (an UPDATE on the key). Anything else
-- writing staff_day is refused (GL002), as claim_half_term is (0079): the rows are written one trigger level down. A
-- claim's lines cannot change once it has left draft (0049, 0055), nor its school (0051), and it starts as a draft (0052),
-- so each day stays the sum of its held lines, whoever moves the claims: no check needs to add them up again.
--
-- The service's submission sends no staff-day statement of its own any more (Claims/Transitions.cs): its transaction
-- does what it did, an upsert per booked day, and reads the claim's lines once more, in the trigger, by their index.
--
-- The rows are rebuilt here from the claims, by key, as 0070 rebuilt them per school: a day a script had edited is put
-- right. A day where T-01 and T01 were each booked may now hold more than a full day (both were taken while they were two
-- people): it is kept as the claims hold it, so the CHECK asks only that a day is not below nought, and staff_day_book
-- still refuses any booking that would take a day past 450 minutes, whatever it held. Releasing one of those claims
-- brings the day back down; the WARNING below names the days found.

ALTER TABLE staff_day DROP CONSTRAINT staff_day_within_a_day;
ALTER TABLE staff_day ADD CONSTRAINT staff_day_not_below_nought CHECK (minutes >= 0);

DELETE FROM staff_day;
INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
SELECT c.programme_id, c.school_id, replace(l.staff_ref, '-', ''), l.work_date, sum(l.minutes)
  FROM claim_line l JOIN claim c ON c.id = l.claim_id
 WHERE l.kind IN ('staff-time', 'support-hours') AND l.staff_ref IS NOT NULL AND l.work_date IS NOT NULL AND l.minutes IS NOT NULL
   AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
 GROUP BY c.programme_id, c.school_id, replace(l.staff_ref, '-', ''), l.work_date;

DO $$
DECLARE
    over text;
BEGIN
    SELECT string_agg(format('school %s, %s on %s: %s minutes', school_id, staff_ref, work_date, minutes), '; '
                      ORDER BY school_id, staff_ref, work_date)
      INTO over FROM staff_day WHERE minutes > 450;
    IF over IS NOT NULL THEN
        RAISE WARNING 'staff days held past a full day by one staff member''s references with and without the hyphen, kept as the claims hold them: %', over;
    END IF;
END $$;

-- Books a day unless it would then pass a full day (450 minutes): GL009, its DETAIL the day as the line names it and the
-- minutes already booked ({"staffRef", "date", "booked", "asked"}). The day's row is locked either way.
CREATE OR REPLACE FUNCTION staff_day_book(p_programme_id bigint, p_school_id bigint, p_staff_ref text, p_work_date date, p_minutes integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    booked integer;
    staff text := replace(p_staff_ref, '-', '');
BEGIN
    IF p_minutes <= 450 THEN -- more than a day on its own is refused below
        INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
        VALUES (p_programme_id, p_school_id, staff, p_work_date, p_minutes)
        ON CONFLICT (school_id, staff_ref, work_date) DO UPDATE SET minutes = staff_day.minutes + EXCLUDED.minutes
         WHERE staff_day.minutes + EXCLUDED.minutes <= 450
        RETURNING minutes INTO booked;
        IF booked IS NOT NULL THEN
            RETURN booked;
        END IF;
    END IF;
    SELECT minutes INTO booked FROM staff_day
     WHERE school_id = p_school_id AND staff_ref = staff AND work_date = p_work_date;
    booked := COALESCE(booked, 0);
    RAISE EXCEPTION USING ERRCODE = 'GL009',
        DETAIL = json_build_object('staffRef', p_staff_ref, 'date', p_work_date, 'booked', booked, 'asked', p_minutes)::text,
        MESSAGE = format('%s would be claimed for more than a full day on %s: %s minutes are booked, %s more asked',
                         p_staff_ref, p_work_date, booked, p_minutes);
END $$;

-- A claim moving into the held states books its lines' days, out of them releases them: each staff member's day once,
-- in (key, date) order, one order for every writer (no deadlock between two submissions). The booking is staff_day_book's
-- upsert, written here rather than called (which saves a nested call and its statement: docs/performance.md, section
-- 61); only a day it leaves unbooked goes to staff_day_book, which finds it refused again and raises GL009 with its figures.
CREATE FUNCTION claim_staff_days() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    day record;
    booked integer;
    releasing boolean := NEW.state IN ('draft', 'rejected', 'withdrawn');
BEGIN
    FOR day IN SELECT replace(l.staff_ref, '-', '') AS staff, min(l.staff_ref) AS as_typed, l.work_date, sum(l.minutes)::integer AS minutes
                 FROM claim_line l
                WHERE l.claim_id = NEW.id AND l.kind IN ('staff-time', 'support-hours')
                  AND l.staff_ref IS NOT NULL AND l.work_date IS NOT NULL AND l.minutes IS NOT NULL
                GROUP BY 1, 3
                ORDER BY 1, 3
    LOOP
        IF releasing THEN
            UPDATE staff_day SET minutes = minutes - day.minutes
             WHERE school_id = NEW.school_id AND staff_ref = day.staff AND work_date = day.work_date;
            IF NOT FOUND THEN -- every held line's day is booked (above): a day missing would be a broken rule, not a refusal
                RAISE EXCEPTION 'claim %''s staff day of % on % is not booked: it cannot be released', NEW.id, day.as_typed, day.work_date;
            END IF;
            CONTINUE;
        END IF;
        booked := NULL;
        IF day.minutes <= 450 THEN
            INSERT INTO staff_day AS s (programme_id, school_id, staff_ref, work_date, minutes)
            VALUES (NEW.programme_id, NEW.school_id, day.staff, day.work_date, day.minutes)
            ON CONFLICT (school_id, staff_ref, work_date) DO UPDATE SET minutes = s.minutes + EXCLUDED.minutes
             WHERE s.minutes + EXCLUDED.minutes <= 450
            RETURNING minutes INTO booked;
        END IF;
        IF booked IS NULL THEN
            PERFORM staff_day_book(NEW.programme_id, NEW.school_id, day.as_typed, day.work_date, day.minutes); -- raises GL009
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Triggers of one event fire in name order: a submission takes the agreed plan's and the invoices' locks (0072, 0071),
-- then its staff days' rows here, then the TLRs' locks (0056), then its entry locks the school's accounts; a return,
-- rejection or withdrawal takes its staff days' rows and then the accounts. One order for every writer. (The service
-- took the staff days first, ahead of the claim's UPDATE; no other path takes a staff day and one of those locks.)
CREATE TRIGGER claim_staff_days AFTER UPDATE OF state ON claim
    FOR EACH ROW
    WHEN ((OLD.state IN ('draft', 'rejected', 'withdrawn')) <> (NEW.state IN ('draft', 'rejected', 'withdrawn')))
    EXECUTE FUNCTION claim_staff_days();

-- Only claim_staff_days writes staff_day: its statements run one trigger level down. The WHEN condition is read before
-- the function is called (at the level of the statement that writes), so the claims' own writes call nothing here.
CREATE FUNCTION staff_day_written_by_claims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL002',
        MESSAGE = 'a staff day is what the school''s claims hold: staff_day is written only as a claim is submitted, returned, '
                  'rejected or withdrawn';
END $$;
CREATE TRIGGER staff_day_written_by_claims BEFORE INSERT OR UPDATE OR DELETE ON staff_day
    FOR EACH STATEMENT WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION staff_day_written_by_claims();
CREATE TRIGGER staff_day_no_truncate BEFORE TRUNCATE ON staff_day
    FOR EACH STATEMENT EXECUTE FUNCTION staff_day_written_by_claims();

-- 3. A TLR once per staff member per half-term (0056, 0070), by the reference's key: the lock, the look-up and the index.
-- A school's TLRs already claimed by both forms in one half-term stay as they are (the rule is decided as a claim is
-- submitted); either claim, returned and submitted again, is then refused.
DROP INDEX claim_line_tlr;
CREATE INDEX claim_line_tlr ON claim_line (replace(staff_ref, '-', '')) WHERE kind = 'tlr';

CREATE OR REPLACE FUNCTION claim_tlr_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    claimed_as text;
    half_term text;
BEGIN
    FOR line IN SELECT l.line_no, l.staff_ref, replace(l.staff_ref, '-', '') AS staff FROM claim_line l
                 WHERE l.claim_id = NEW.id AND l.kind = 'tlr' ORDER BY 3, l.line_no
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('tlr %s %s %s', NEW.school_id, NEW.period_id, line.staff), 0));
        SELECT l.staff_ref INTO claimed_as FROM claim_line l JOIN claim c ON c.id = l.claim_id
         WHERE l.kind = 'tlr' AND replace(l.staff_ref, '-', '') = line.staff
           AND c.school_id = NEW.school_id AND c.period_id = NEW.period_id
           AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
           AND (c.id <> NEW.id OR l.line_no <> line.line_no)
         LIMIT 1;
        IF FOUND THEN
            SELECT p.name INTO half_term FROM period p WHERE p.id = NEW.period_id;
            RAISE EXCEPTION USING ERRCODE = 'GL011',
                MESSAGE = format('%s''s TLR for %s is already claimed%s: it is paid once per half-term', line.staff_ref, half_term,
                                 CASE WHEN claimed_as <> line.staff_ref THEN format(' (as %s)', claimed_as) ELSE '' END),
                DETAIL = json_build_object('lineNo', line.line_no, 'staffRef', line.staff_ref, 'period', half_term)::text;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- 4. A year's close posts its year-end entries (cause year_end, Payments/Closing.cs): unspent allocation lapsed or carried
-- forward dated the year's last day, which usually lies in a half-term already closed, and what claims released after it
-- dated the day of the close. The rule against posting into a closed half-term (GL003, 0020, 0060) let any year_end entry
-- through, whatever its date or year: a script posted one into a closed Autumn 1 of a year still open. The exception is
-- now only the close's: an entry dated its year's last day, naming that year (cause_id), and (checked at commit) in the
-- transaction that closes the year, its closed_at that transaction's time. A year_end entry in a closed half-term
-- otherwise is refused as any entry is; one whose year this transaction does not close is refused at commit (GL003).
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
       AND (y.closed_at IS NOT NULL
            OR (p.closed_at IS NOT NULL
                AND NOT (NEW.cause_type = 'year_end' AND NEW.cause_id = y.id AND NEW.value_date = y.ends_on)))
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

CREATE FUNCTION journal_entry_year_end_with_its_close() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM programme_year y WHERE y.id = NEW.cause_id AND y.programme_id = NEW.programme_id AND y.closed_at = now();
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL003',
            MESSAGE = format('journal entry %s is a year end (cause year_end) of year %s, which its transaction does not close: '
                             'a year-end entry is posted only by closing its year', NEW.id, NEW.cause_id),
            DETAIL = json_build_object('valueDate', NEW.value_date, 'yearId', NEW.cause_id)::text;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_entry_year_end_with_its_close AFTER INSERT ON journal_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.cause_type = 'year_end')
    EXECUTE FUNCTION journal_entry_year_end_with_its_close();
