-- A journal entry is dated no later than the day it is recorded, in the UK (GL013). An allocation dated 2027-08-01,
-- posted in December 2026, could be claimed at once: the school's budget was overdrawn as of every day until then (its
-- balance as of today, its statement, the workbook's Available), though every limit held on the current balances. The
-- service refuses a future value date wherever a caller gives one (funding, allocations, virements, reversals:
-- Core/Rules/NotInTheFuture.cs; a claim's postings and a payment's are dated today or earlier already); this trigger
-- holds the rule for a script or a second service.
--
-- "The day it is recorded" is the UK date of recorded_at, or of now() if that is earlier: recorded_at is the
-- transaction's start unless a writer gives one, and one given later than now makes no room for a later date.
-- Between midnight and one in the morning in summer the UK's date is a day ahead of UTC's: an entry dated that day is
-- accepted.
--
-- Entries written before this migration are left as they are (the ledger is append-only); one dated ahead counts from
-- its value date, and is named in a warning here. The reconciliation's Checks sheet tells an account below its limit as
-- of the export's date.

CREATE FUNCTION journal_entry_not_in_the_future() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recorded_on date := (least(NEW.recorded_at, now()) AT TIME ZONE 'Europe/London')::date;
BEGIN
    IF NEW.value_date > recorded_on THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL013',
            MESSAGE = format('an entry cannot be dated in the future: %s is after %s, the day it is recorded (UK)', NEW.value_date, recorded_on),
            DETAIL = json_build_object('valueDate', NEW.value_date, 'recordedOn', recorded_on)::text;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER journal_entry_not_in_the_future BEFORE INSERT ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION journal_entry_not_in_the_future();

DO $$
DECLARE
    ahead record;
BEGIN
    SELECT count(*) AS n, string_agg(id::text, ', ' ORDER BY id) FILTER (WHERE rn <= 20) AS ids
      INTO ahead
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM journal_entry
             WHERE value_date > (recorded_at AT TIME ZONE 'Europe/London')::date) e;
    IF ahead.n > 0 THEN
        RAISE WARNING '% journal entries were dated after the day they were recorded (ids %): each counts from its value date', ahead.n, ahead.ids;
    END IF;
END $$;
