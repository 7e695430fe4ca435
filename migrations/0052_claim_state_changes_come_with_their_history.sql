-- A claim's history (claim_transition) is what review, payment and audit read to know who moved it and when. The
-- service writes a history row with every state change, but nothing in the database made it: a direct
-- UPDATE claim SET state = 'approved' went through with no row to say so. Now a state change needs, in the same
-- transaction, a history row for that claim from its old state to its new one (occurred_at is the transaction's
-- start, now(), which the row takes by default); without one the statement is refused with GL010. A claim is
-- created as a draft (the service always does), so an INSERT cannot put one straight into a later state either.
--
-- The history row is written first: the check runs at the end of the claim's UPDATE statement (for a payment run's
-- UPDATE ... in a WITH, at the end of the whole statement, after its INSERT of the history rows). It is a row
-- trigger with a WHEN condition, so an UPDATE that leaves the state alone (a draft's edits, review's sanctions) does
-- not call it; a state change costs one look-up on claim_transition's (claim_id, id) index (about 30 µs per
-- transition measured with pgbench, docs/performance.md section 5).

CREATE FUNCTION claim_state_change_recorded() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan  -- one index probe whatever the claim (decision 0010)
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('a claim is created as a draft, not %s: it moves on by transitions, each with its history row', NEW.state);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM claim_transition t
                    WHERE t.claim_id = NEW.id AND t.from_state = OLD.state AND t.to_state = NEW.state
                      AND t.occurred_at = now()) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot move from %s to %s without a history row recording it in the same transaction',
                             NEW.id, OLD.state, NEW.state);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER claim_state_change_recorded AFTER UPDATE ON claim
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION claim_state_change_recorded();

CREATE TRIGGER claim_starts_as_draft AFTER INSERT ON claim
    FOR EACH ROW
    WHEN (NEW.state <> 'draft')
    EXECUTE FUNCTION claim_state_change_recorded();
