-- Booking a staff day in one statement that either books it or fails, so that a claim's submission can
-- send its staff days, its own rows and its journal entry in one round trip (docs/performance.md,
-- http-posting): a refused day must stop the statements after it, not just return no row.
--
-- staff_day_book adds the minutes to the day (creating it), unless the day would then pass a full day
-- (450 minutes): then it raises GL009, its DETAIL the day and the minutes already booked on it
-- ({"staffRef", "date", "booked", "asked"}). The day's row is locked either way (ON CONFLICT locks the
-- row it does not update), so the figure is the one the refusal was decided on. The table's CHECK
-- (staff_day_within_a_day) still holds against any other writer.

CREATE FUNCTION staff_day_book(p_programme_id bigint, p_staff_ref text, p_work_date date, p_minutes integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    booked integer;
BEGIN
    IF p_minutes <= 450 THEN -- more than a day on its own is refused below, without trying the table's CHECK
        INSERT INTO staff_day (programme_id, staff_ref, work_date, minutes)
        VALUES (p_programme_id, p_staff_ref, p_work_date, p_minutes)
        ON CONFLICT (programme_id, staff_ref, work_date) DO UPDATE SET minutes = staff_day.minutes + EXCLUDED.minutes
         WHERE staff_day.minutes + EXCLUDED.minutes <= 450
        RETURNING minutes INTO booked;
        IF booked IS NOT NULL THEN
            RETURN booked;
        END IF;
    END IF;
    SELECT minutes INTO booked FROM staff_day
     WHERE programme_id = p_programme_id AND staff_ref = p_staff_ref AND work_date = p_work_date;
    booked := COALESCE(booked, 0);
    RAISE EXCEPTION USING ERRCODE = 'GL009',
        DETAIL = json_build_object('staffRef', p_staff_ref, 'date', p_work_date, 'booked', booked, 'asked', p_minutes)::text,
        MESSAGE = format('%s would be claimed for more than a full day on %s: %s minutes are booked, %s more asked',
                         p_staff_ref, p_work_date, booked, p_minutes);
END $$;
