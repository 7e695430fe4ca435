-- A staff reference is a pseudonym each school chooses ("STAFF-07", "T10"): T10 at one school and T10 at another are
-- two people. The full day (staff_day, 0015 and 0047) and the TLR once per half-term (claim_tlr_once, 0056) were kept
-- per programme: Valley High's T10 claimed for a day on 3 November refused Westbrook's T10 for an hour that day ("1 day
-- is already claimed on this and other claims", alreadyClaimedMinutes 450: one school told of another's claims), and
-- Westbrook's TLR for its T10 in Autumn 2 was refused at submission, naming a claim it cannot see. Both are now kept per
-- school.
--
-- staff_day gains the school and is keyed by (school_id, staff_ref, work_date). Its rows are rebuilt from what books a
-- day: the staff-time and support-hours lines (the kinds ClaimLines.CountsStaffDay names) of the claims that are
-- submitted or further on (a submission books, a return, rejection or withdrawal releases: every state but draft,
-- rejected and withdrawn), their minutes summed per school, staff member and date. A school's rows were within a day
-- when the programme's were, so the rebuilt rows meet the CHECK.
--
-- staff_day_book takes the school (the old signature is dropped: nothing may book a day by programme alone), still one
-- statement that books the day or raises GL009. claim_tlr_once looks for the TLR among the claims of the same school,
-- and its advisory lock is per school.

ALTER TABLE staff_day ADD COLUMN school_id bigint REFERENCES school(id);
DELETE FROM staff_day;
INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
SELECT c.programme_id, c.school_id, l.staff_ref, l.work_date, sum(COALESCE(l.minutes, 0))
  FROM claim_line l JOIN claim c ON c.id = l.claim_id
 WHERE l.kind IN ('staff-time', 'support-hours') AND l.staff_ref IS NOT NULL AND l.work_date IS NOT NULL
   AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
 GROUP BY c.programme_id, c.school_id, l.staff_ref, l.work_date;
ALTER TABLE staff_day ALTER COLUMN school_id SET NOT NULL;
ALTER TABLE staff_day DROP CONSTRAINT staff_day_pkey;
ALTER TABLE staff_day ADD PRIMARY KEY (school_id, staff_ref, work_date);

DROP FUNCTION staff_day_book(bigint, text, date, integer);

CREATE FUNCTION staff_day_book(p_programme_id bigint, p_school_id bigint, p_staff_ref text, p_work_date date, p_minutes integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    booked integer;
BEGIN
    IF p_minutes <= 450 THEN -- more than a day on its own is refused below, without trying the table's CHECK
        INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
        VALUES (p_programme_id, p_school_id, p_staff_ref, p_work_date, p_minutes)
        ON CONFLICT (school_id, staff_ref, work_date) DO UPDATE SET minutes = staff_day.minutes + EXCLUDED.minutes
         WHERE staff_day.minutes + EXCLUDED.minutes <= 450
        RETURNING minutes INTO booked;
        IF booked IS NOT NULL THEN
            RETURN booked;
        END IF;
    END IF;
    SELECT minutes INTO booked FROM staff_day
     WHERE school_id = p_school_id AND staff_ref = p_staff_ref AND work_date = p_work_date;
    booked := COALESCE(booked, 0);
    RAISE EXCEPTION USING ERRCODE = 'GL009',
        DETAIL = json_build_object('staffRef', p_staff_ref, 'date', p_work_date, 'booked', booked, 'asked', p_minutes)::text,
        MESSAGE = format('%s would be claimed for more than a full day on %s: %s minutes are booked, %s more asked',
                         p_staff_ref, p_work_date, booked, p_minutes);
END $$;

CREATE OR REPLACE FUNCTION claim_tlr_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    half_term text;
BEGIN
    FOR line IN SELECT l.line_no, l.staff_ref FROM claim_line l
                 WHERE l.claim_id = NEW.id AND l.kind = 'tlr' ORDER BY l.staff_ref, l.line_no
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('tlr %s %s %s', NEW.school_id, NEW.period_id, line.staff_ref), 0));
        IF EXISTS (SELECT 1 FROM claim_line l JOIN claim c ON c.id = l.claim_id
                    WHERE l.kind = 'tlr' AND l.staff_ref = line.staff_ref
                      AND c.school_id = NEW.school_id AND c.period_id = NEW.period_id
                      AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
                      AND (c.id <> NEW.id OR l.line_no <> line.line_no)) THEN
            SELECT p.name INTO half_term FROM period p WHERE p.id = NEW.period_id;
            RAISE EXCEPTION USING ERRCODE = 'GL011',
                MESSAGE = format('%s''s TLR for %s is already claimed: it is paid once per half-term', line.staff_ref, half_term),
                DETAIL = json_build_object('lineNo', line.line_no, 'staffRef', line.staff_ref, 'period', half_term)::text;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
