-- A claim's history (claim_transition) is what a reviewer, the funder's finance team and an auditor read to know how
-- a claim came to be where it is. Migration 0052 made the database refuse a change of state without a history row for
-- it, but a history row was taken as written: a script could record a move the lifecycle has no such thing as
-- (draft -> paid), a move from a state the claim was not in, a move that never happened (a row with no change of
-- state), or the same move twice in one transaction. The last is what the service itself did on 2 December when one
-- claim was submitted twice at the same moment (decision 0015): two rows from draft, two journal entries holding its
-- money; 0052 saw one change of state, which had its row, and let it through. Now the database refuses each of these:
--
-- * claim_transition_permitted: a row records one of the lifecycle's moves (ClaimWorkflow.Lifecycle: the trigger, the
--   state it starts from, the state it leads to). A test compares this list with the lifecycle's rows, so neither
--   can change without the other. SQLSTATE 23514, the constraint's name.
-- * claim_history_chained, checked at commit (the service writes a claim's history row before its UPDATE; a payment
--   run writes both in one statement): each new row starts where the claim's row before it ended ('draft' for the
--   first: a claim is created a draft, 0052), and the claim's last row ends in the state the claim is in. So a
--   claim's history is one unbroken path through the lifecycle from draft to its state. SQLSTATE GL010, as 0052's.
--
-- Rows already written are not re-read (the service wrote them, one path each); every new row is checked against the
-- row before it. The check costs a committing transition two look-ups on claim_transition's (claim_id, id) index and
-- one on claim's key.

ALTER TABLE claim_transition ADD CONSTRAINT claim_transition_permitted CHECK ((trigger, from_state, to_state) IN (
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
    ('payment-failed',          'in-payment-run',           'approved'))) NOT VALID;
ALTER TABLE claim_transition VALIDATE CONSTRAINT claim_transition_permitted;

CREATE FUNCTION claim_history_chained() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan  -- index probes whatever the claim (decision 0010)
AS $$
DECLARE
    before text;
    now_in text;
BEGIN
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

CREATE CONSTRAINT TRIGGER claim_history_chained AFTER INSERT ON claim_transition
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION claim_history_chained();
