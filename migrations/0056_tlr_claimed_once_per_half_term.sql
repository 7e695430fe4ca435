-- A TLR (teaching and learning responsibility payment) is paid once per staff member per half-term. The service
-- checked it before a submission's writes, reading the other claims as they were: two claims with the same staff
-- member's TLR for the same half-term, submitted at the same moment, each saw the other still a draft, and both were
-- accepted (ClaimRulesTests.TwoClaimsForOneTlr_SubmittedAtOnce_OneIsRefused, 1 December: both answered 200). Now the
-- database decides it as a claim becomes 'submitted' (a submission or a resubmission after return), whoever writes.
--
-- For each of the claim's TLR lines, in staff order, the trigger takes a transaction-level advisory lock on the
-- (programme, half-term, staff member), so a second submission of the same TLR waits there for the first to commit or
-- roll back; then it looks for that TLR on any claim of the half-term still claimed (not a draft, rejected or
-- withdrawn), this claim's other lines included. Found, the UPDATE is refused with GL011, its DETAIL the line, the
-- staff member and the half-term ({"lineNo", "staffRef", "period"}), which the service answers as its own check does:
-- 422 naming lines[n].staffRef. The lock comes after the staff days' rows and before the school's accounts (the claim's
-- UPDATE is written after the staff days and before the journal entry), one order for every submission: no deadlock.
--
-- Each query of the function takes its own snapshot (READ COMMITTED), so the look-up after the lock sees what the
-- submission before it committed. claim_line_tlr indexes TLR lines by staff member: the look-up (and the service's own
-- check, which read every line of the table) reads only the TLR lines of that staff member.

CREATE INDEX claim_line_tlr ON claim_line (staff_ref) WHERE kind = 'tlr';

CREATE FUNCTION claim_tlr_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    half_term text;
BEGIN
    FOR line IN SELECT l.line_no, l.staff_ref FROM claim_line l
                 WHERE l.claim_id = NEW.id AND l.kind = 'tlr' ORDER BY l.staff_ref, l.line_no
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('tlr %s %s %s', NEW.programme_id, NEW.period_id, line.staff_ref), 0));
        IF EXISTS (SELECT 1 FROM claim_line l JOIN claim c ON c.id = l.claim_id
                    WHERE l.kind = 'tlr' AND l.staff_ref = line.staff_ref
                      AND c.programme_id = NEW.programme_id AND c.period_id = NEW.period_id
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

CREATE TRIGGER claim_tlr_once AFTER UPDATE OF state ON claim
    FOR EACH ROW
    WHEN (NEW.state = 'submitted' AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION claim_tlr_once();
