-- A staff reference names one staff member by its letters and its number: T1, T01, T-1 and T-01 are one person
-- (decision 27). A reference is letters, an optional hyphen and digits (^[A-Z]{1,10}-?[0-9]{1,6}$,
-- ClaimLines.StaffRefPattern); migration 0087 made the hyphen optional to the full day and to the TLR's once per
-- half-term, but kept the digits as typed, so a school's T1 could be claimed for a full day on a date T01 already had,
-- and T1's TLR paid in a half-term T01's was (docs/security.md, "Seen and left", 7 December).
--
-- A reference is now compared by its key, staff_key(staff_ref): its letters and its number without the hyphen or leading
-- zeros (T-01 -> T1, STAFF-007 -> STAFF7, T000 -> T0), as ClaimLines.StaffKey computes it. A line keeps the reference as
-- the school typed it, and the pages, exports and refusals show it so.
--
-- As 0087 did for the hyphen: the staff days are rebuilt from the claims by the new key, and a day that two forms of one
-- reference were each booked for (taken for two people) is kept as the claims hold it, past a full day if it was, named
-- in a WARNING: it takes no more, and comes down as those claims are released. TLRs already claimed by two forms in one
-- half-term stay claimed; either claim, returned and submitted again, is refused.

CREATE FUNCTION staff_key(staff_ref text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(staff_ref, '^([A-Z]+)-?0*([0-9])', '\1\2');

-- The staff days, rebuilt from the claims by the key (only claim_staff_days writes staff_day: its guard is off for this).
ALTER TABLE staff_day DISABLE TRIGGER staff_day_written_by_claims;
DELETE FROM staff_day;
INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
SELECT c.programme_id, c.school_id, staff_key(l.staff_ref), l.work_date, sum(l.minutes)
  FROM claim_line l JOIN claim c ON c.id = l.claim_id
 WHERE l.kind IN ('staff-time', 'support-hours') AND l.staff_ref IS NOT NULL AND l.work_date IS NOT NULL AND l.minutes IS NOT NULL
   AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
 GROUP BY c.programme_id, c.school_id, staff_key(l.staff_ref), l.work_date;
ALTER TABLE staff_day ENABLE TRIGGER staff_day_written_by_claims;

DO $$
DECLARE
    over text;
BEGIN
    SELECT string_agg(format('school %s, %s on %s: %s minutes', school_id, staff_ref, work_date, minutes), '; '
                      ORDER BY school_id, staff_ref, work_date)
      INTO over FROM staff_day WHERE minutes > 450;
    IF over IS NOT NULL THEN
        RAISE WARNING 'staff days held past a full day by one staff member''s references with and without leading zeros, kept as the claims hold them: %', over;
    END IF;
END $$;

-- As 0087's, comparing the key.
CREATE OR REPLACE FUNCTION staff_day_book(p_programme_id bigint, p_school_id bigint, p_staff_ref text, p_work_date date, p_minutes integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    booked integer;
    staff text := staff_key(p_staff_ref);
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

-- As 0087's, grouping and ordering by the key.
CREATE OR REPLACE FUNCTION claim_staff_days() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    day record;
    booked integer;
    releasing boolean := NEW.state IN ('draft', 'rejected', 'withdrawn');
BEGIN
    FOR day IN SELECT staff_key(l.staff_ref) AS staff, min(l.staff_ref) AS as_typed, l.work_date, sum(l.minutes)::integer AS minutes
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

-- A TLR once per staff member per half-term, by the key: the index, the lock and the look-up, as 0087's.
DROP INDEX claim_line_tlr;
CREATE INDEX claim_line_tlr ON claim_line (staff_key(staff_ref)) WHERE kind = 'tlr';

CREATE OR REPLACE FUNCTION claim_tlr_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    claimed_as text;
    half_term text;
BEGIN
    FOR line IN SELECT l.line_no, l.staff_ref, staff_key(l.staff_ref) AS staff FROM claim_line l
                 WHERE l.claim_id = NEW.id AND l.kind = 'tlr' ORDER BY 3, l.line_no
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('tlr %s %s %s', NEW.school_id, NEW.period_id, line.staff), 0));
        SELECT l.staff_ref INTO claimed_as FROM claim_line l JOIN claim c ON c.id = l.claim_id
         WHERE l.kind = 'tlr' AND staff_key(l.staff_ref) = line.staff
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
