-- Migration 0057's list of the lifecycle's moves was a CHECK on claim_transition. PostgreSQL 15 reads a CHECK's
-- expression back from its stored text for every statement that inserts a row (docs/performance.md, section 13), and
-- this one is forty-two comparisons: measured with pg_stat_statements at four clients, it took a submission's history
-- INSERT from 31 µs to 66 (section 18). Now the moves are a table, claim_lifecycle, read by claim_history_chained (a
-- look-up on its key, the plan kept for the session) at commit with the rest of the history's checks; a row for a
-- move not in it is refused with GL010. An auditor can read the table; a test compares it with ClaimWorkflow.Lifecycle.
-- The table changes only by a migration: a statement that writes to it is refused (GL010).

ALTER TABLE claim_transition DROP CONSTRAINT claim_transition_permitted;

CREATE TABLE claim_lifecycle (
    trigger    text NOT NULL,
    from_state text NOT NULL,
    to_state   text NOT NULL,
    PRIMARY KEY (trigger, from_state, to_state)
);
COMMENT ON TABLE claim_lifecycle IS 'The moves a claim can make (ClaimWorkflow.Lifecycle): every claim_transition row is one of them';

INSERT INTO claim_lifecycle (trigger, from_state, to_state) VALUES
    ('submit',                  'draft',                    'submitted'),
    ('withdraw',                'submitted',                'withdrawn'),
    ('start-review',            'submitted',                'under-review'),
    ('approve',                 'under-review',             'approved'),
    ('approve',                 'under-review',             'awaiting-second-approval'),
    ('return',                  'under-review',             'draft'),
    ('reject',                  'under-review',             'rejected'),
    ('second-approve',          'awaiting-second-approval', 'approved'),
    ('return',                  'awaiting-second-approval', 'draft'),
    ('reject',                  'awaiting-second-approval', 'rejected'),
    ('add-to-payment-run',      'approved',                 'in-payment-run'),
    ('remove-from-payment-run', 'in-payment-run',           'approved'),
    ('mark-paid',               'in-payment-run',           'paid'),
    ('payment-failed',          'in-payment-run',           'approved');

CREATE FUNCTION claim_lifecycle_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL010',
        MESSAGE = format('the claim lifecycle changes only by a migration: %s on claim_lifecycle is refused', TG_OP);
END $$;

CREATE TRIGGER claim_lifecycle_fixed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON claim_lifecycle
    FOR EACH STATEMENT EXECUTE FUNCTION claim_lifecycle_fixed();

CREATE OR REPLACE FUNCTION claim_history_chained() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan  -- index probes whatever the claim (decision 0010)
AS $$
DECLARE
    before text;
    now_in text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM claim_lifecycle m
                    WHERE m.trigger = NEW.trigger AND m.from_state = NEW.from_state AND m.to_state = NEW.to_state) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s from %s to %s: that is not a move of a claim''s lifecycle (claim_lifecycle)',
                             NEW.claim_id, NEW.trigger, NEW.from_state, NEW.to_state);
    END IF;
    SELECT t.to_state INTO before FROM claim_transition t
     WHERE t.claim_id = NEW.claim_id AND t.id < NEW.id ORDER BY t.id DESC LIMIT 1;
    IF coalesce(before, 'draft') <> NEW.from_state THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s from %s: its history leaves it %s (a claim makes one move at a time, from the state it is in)',
                             NEW.claim_id, NEW.trigger, NEW.from_state, coalesce(before, 'draft'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM claim_transition t WHERE t.claim_id = NEW.claim_id AND t.id > NEW.id) THEN
        SELECT c.state INTO now_in FROM claim c WHERE c.id = NEW.claim_id;
        IF now_in IS DISTINCT FROM NEW.to_state THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s is %s, but its history records it moved to %s: a history row records a move the claim made',
                                 NEW.claim_id, now_in, NEW.to_state);
        END IF;
    END IF;
    RETURN NULL;
END $$;
