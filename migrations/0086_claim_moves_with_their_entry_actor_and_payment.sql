-- A claim's history row (claim_transition) was taken by PostgreSQL as any move of the lifecycle from the state the claim
-- was in (0057, 0058), whatever else it said: a review acting as a careless script (7 December) approved a claim with no
-- journal entry (its money still held, the claim approved), approved it as the user who had submitted it, and marked it
-- paid with no payment confirmed. Each of these is the service's rule already (Core/Workflow/ClaimWorkflow.cs, the
-- payment confirmations); PostgreSQL now holds it at commit, in claim_history_chained, for a script or a second service:
--
-- * a move that moves money names its journal entry, written in the same transaction (recorded_at is now()), whose cause
--   is the claim (submit, withdraw, approve to approved, second-approve, return, reject) or, for mark-paid, the payment run
--   the claim was added to; a move that moves none names no entry;
-- * its actor_role is the role the lifecycle gives the move; and for every move but a submission, the actor is a user of
--   that role whose scope reaches the claim (a school business manager of its school, an area lead of its school's area,
--   a programme admin or funder finance of its programme, a programme admin of none seeing every programme), as
--   ClaimAccess.InScope decides;
-- * separation of duties, as the lifecycle's guards: nobody starts the review of, approves, returns or rejects a claim
--   they created or submitted (reviewer-not-submitter); the second approval, and a return or rejection awaiting it, is by
--   someone other than the first approver, the creator and the submitter (second-approver-independent). The submitter and
--   the first approver are read from the claim's history (the actor of its last submit, and of the approve before), not
--   from the claim's row, which a script can write;
-- * mark-paid needs the payment of the claim's school in that run confirmed paid by an imported confirmation, the run
--   exported (or paid); payment-failed its payment confirmed failed; remove-from-payment-run its run cancelled.
--
-- The lifecycle's table (0058) says, for each move, its role, the cause of its entry and its separation guard, so that a
-- test compares all of them with ClaimWorkflow.Lifecycle's rows. SQLSTATE GL010, as 0052's, 0057's and 0058's.
--
-- What a submission's commit costs more: nothing read more (the move's row in claim_lifecycle, the row before it and the
-- claim's row were read already), one look-up of journal_entry's key (its entry) beside the key check of 0046. Its actor
-- is not looked up in app_user: a submission is the benchmark's request (docs/performance.md, "What is left"), and the
-- moves that decide or pay are checked against it instead.
--
-- And a claim line's sanction and holds are fixed from its first approval on (awaiting-second-approval, approved,
-- in-payment-run, paid): a script had changed an approved line's sanctioned amount, which the payment run then paid. The
-- service sets them only by the approval itself (the claim's last history row is that approve, in this transaction); a
-- second approval, a payment run's moves, a failed payment, year end and reversals leave them as they are. SQLSTATE GL007,
-- as a submitted line's other columns (0049). A line is added or deleted only in a draft already (0049).

ALTER TABLE claim_lifecycle
    ADD COLUMN role text,
    ADD COLUMN entry_cause text CHECK (entry_cause IN ('claim', 'payment_run')),
    ADD COLUMN separation text CHECK (separation IN ('reviewer-not-submitter', 'second-approver-independent'));
COMMENT ON COLUMN claim_lifecycle.role IS 'The role that takes the move (ClaimWorkflow.Lifecycle''s who)';
COMMENT ON COLUMN claim_lifecycle.entry_cause IS 'The cause of the journal entry the move posts: the claim, or its payment run; null when it posts none';
COMMENT ON COLUMN claim_lifecycle.separation IS 'The lifecycle''s separation-of-duties guard on the move, if any';

-- the table changes only by a migration (0058): this is one
ALTER TABLE claim_lifecycle DISABLE TRIGGER claim_lifecycle_fixed;
UPDATE claim_lifecycle m SET role = v.role, entry_cause = v.entry_cause, separation = v.separation
  FROM (VALUES
    ('submit',                  'draft',                    'submitted',                'school_business_manager', 'claim',       NULL),
    ('withdraw',                'submitted',                'withdrawn',                'school_business_manager', 'claim',       NULL),
    ('start-review',            'submitted',                'under-review',             'area_lead',               NULL,          'reviewer-not-submitter'),
    ('approve',                 'under-review',             'approved',                 'area_lead',               'claim',       'reviewer-not-submitter'),
    ('approve',                 'under-review',             'awaiting-second-approval', 'area_lead',               NULL,          'reviewer-not-submitter'),
    ('return',                  'under-review',             'draft',                    'area_lead',               'claim',       'reviewer-not-submitter'),
    ('reject',                  'under-review',             'rejected',                 'area_lead',               'claim',       'reviewer-not-submitter'),
    ('second-approve',          'awaiting-second-approval', 'approved',                 'programme_admin',         'claim',       'second-approver-independent'),
    ('return',                  'awaiting-second-approval', 'draft',                    'programme_admin',         'claim',       'second-approver-independent'),
    ('reject',                  'awaiting-second-approval', 'rejected',                 'programme_admin',         'claim',       'second-approver-independent'),
    ('add-to-payment-run',      'approved',                 'in-payment-run',           'funder_finance',          NULL,          NULL),
    ('remove-from-payment-run', 'in-payment-run',           'approved',                 'funder_finance',          NULL,          NULL),
    ('mark-paid',               'in-payment-run',           'paid',                     'funder_finance',          'payment_run', NULL),
    ('payment-failed',          'in-payment-run',           'approved',                 'funder_finance',          NULL,          NULL))
    AS v(trigger, from_state, to_state, role, entry_cause, separation)
 WHERE (m.trigger, m.from_state, m.to_state) = (v.trigger, v.from_state, v.to_state);
ALTER TABLE claim_lifecycle ALTER COLUMN role SET NOT NULL;
ALTER TABLE claim_lifecycle ENABLE TRIGGER claim_lifecycle_fixed;

CREATE OR REPLACE FUNCTION claim_history_chained() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan  -- index probes whatever the claim (decision 0010)
AS $$
DECLARE
    allowed record;
    before record;
    c record;
    actor record;
    posted record;
    payment record;
    run_id bigint;
    submitter bigint;
BEGIN
    SELECT m.role, m.entry_cause, m.separation INTO allowed FROM claim_lifecycle m
     WHERE m.trigger = NEW.trigger AND m.from_state = NEW.from_state AND m.to_state = NEW.to_state;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s from %s to %s: that is not a move of a claim''s lifecycle (claim_lifecycle)',
                             NEW.claim_id, NEW.trigger, NEW.from_state, NEW.to_state);
    END IF;
    SELECT t.to_state, t.trigger, t.actor_id, t.details INTO before FROM claim_transition t
     WHERE t.claim_id = NEW.claim_id AND t.id < NEW.id ORDER BY t.id DESC LIMIT 1;
    IF coalesce(before.to_state, 'draft') <> NEW.from_state THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s from %s: its history leaves it %s (a claim makes one move at a time, from the state it is in)',
                             NEW.claim_id, NEW.trigger, NEW.from_state, coalesce(before.to_state, 'draft'));
    END IF;
    SELECT cl.state, cl.created_by, cl.school_id, cl.programme_id INTO c FROM claim cl WHERE cl.id = NEW.claim_id;
    IF c.state IS DISTINCT FROM NEW.to_state
       AND NOT EXISTS (SELECT 1 FROM claim_transition t WHERE t.claim_id = NEW.claim_id AND t.id > NEW.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s is %s, but its history records it moved to %s: a history row records a move the claim made',
                             NEW.claim_id, c.state, NEW.to_state);
    END IF;

    -- who: the move's role, and for every move but a submission a user of that role whose scope reaches the claim
    IF NEW.actor_role IS DISTINCT FROM allowed.role THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s as %s: only role %s takes that move', NEW.claim_id, NEW.trigger, NEW.actor_role, allowed.role);
    END IF;
    IF NEW.trigger <> 'submit' THEN
        SELECT u.role, u.school_id, u.area_id, u.programme_id INTO actor FROM app_user u WHERE u.id = NEW.actor_id;
        IF actor.role IS DISTINCT FROM allowed.role OR NOT coalesce(CASE allowed.role
                WHEN 'school_business_manager' THEN actor.school_id = c.school_id
                WHEN 'area_lead' THEN actor.area_id = (SELECT s.area_id FROM school s WHERE s.id = c.school_id)
                WHEN 'programme_admin' THEN actor.programme_id IS NULL OR actor.programme_id = c.programme_id
                ELSE actor.programme_id = c.programme_id END, false) THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s cannot %s by user %s: only a user of role %s whose scope reaches the claim takes that move',
                                 NEW.claim_id, NEW.trigger, NEW.actor_id, allowed.role);
        END IF;
    END IF;
    IF allowed.separation IS NOT NULL THEN
        -- the submitter is the actor of the claim's last submission: the row before, or (under review or awaiting a second
        -- approval) one or two further back
        submitter := CASE WHEN before.trigger = 'submit' THEN before.actor_id
                          ELSE (SELECT t.actor_id FROM claim_transition t
                                 WHERE t.claim_id = NEW.claim_id AND t.id < NEW.id AND t.trigger = 'submit' ORDER BY t.id DESC LIMIT 1) END;
        IF NEW.actor_id IN (c.created_by, submitter) THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s cannot %s by user %s, who created or submitted it: a reviewer cannot review a claim they created or submitted',
                                 NEW.claim_id, NEW.trigger, NEW.actor_id);
        END IF;
        IF allowed.separation = 'second-approver-independent' AND NEW.actor_id = before.actor_id THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s cannot %s by user %s, its first approver: the second approval comes from someone else',
                                 NEW.claim_id, NEW.trigger, NEW.actor_id);
        END IF;
    END IF;

    -- the payment: what the finance system confirmed for the claim's school in the run the claim was added to (its
    -- add-to-payment-run row, the row before)
    IF NEW.from_state = 'in-payment-run' THEN
        run_id := (before.details->>'paymentRunId')::bigint;
        SELECT r.state, p.status, p.confirmation_id INTO payment
          FROM payment_run r LEFT JOIN payment_run_payee p ON p.payment_run_id = r.id AND p.school_id = c.school_id
         WHERE r.id = run_id;
        IF NOT coalesce(CASE NEW.trigger
                WHEN 'mark-paid' THEN payment.state IN ('exported', 'paid') AND payment.status = 'paid' AND payment.confirmation_id IS NOT NULL
                WHEN 'payment-failed' THEN payment.state IN ('exported', 'paid') AND payment.status = 'failed' AND payment.confirmation_id IS NOT NULL
                ELSE payment.state = 'cancelled' END, false) THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format(CASE NEW.trigger
                    WHEN 'mark-paid' THEN 'claim %s cannot be marked paid: its school''s payment in payment run %s is not confirmed paid by an imported confirmation'
                    WHEN 'payment-failed' THEN 'claim %s cannot be returned as unpaid: its school''s payment in payment run %s is not confirmed failed by an imported confirmation'
                    ELSE 'claim %s cannot leave payment run %s: a claim leaves its run only when the run is cancelled' END,
                    NEW.claim_id, coalesce(run_id::text, '(none)'));
        END IF;
    END IF;

    -- the entry: the move's own, written with it, of the claim or of its payment run
    IF allowed.entry_cause IS NULL THEN
        IF NEW.entry_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s cannot %s with journal entry %s: that move posts no entry', NEW.claim_id, NEW.trigger, NEW.entry_id);
        END IF;
    ELSE
        SELECT e.cause_type, e.cause_id, e.recorded_at INTO posted FROM journal_entry e WHERE e.id = NEW.entry_id;
        IF posted.cause_type IS DISTINCT FROM allowed.entry_cause
           OR posted.cause_id IS DISTINCT FROM (CASE allowed.entry_cause WHEN 'claim' THEN NEW.claim_id ELSE run_id END)
           OR posted.recorded_at IS DISTINCT FROM now() THEN
            RAISE EXCEPTION USING ERRCODE = 'GL010',
                MESSAGE = format('claim %s cannot %s without its journal entry: the move names %s, not an entry of %s %s written with it',
                                 NEW.claim_id, NEW.trigger, coalesce('entry ' || NEW.entry_id, 'none'),
                                 CASE allowed.entry_cause WHEN 'claim' THEN 'the claim' ELSE 'its payment run' END,
                                 coalesce(CASE allowed.entry_cause WHEN 'claim' THEN NEW.claim_id ELSE run_id END::text, '(none)'));
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- A line's sanction and holds, fixed from the claim's first approval on. The trigger's WHEN leaves out what a submission
-- writes (holds onto a line that had none, no sanction), so that a submission calls no function for its lines: a line
-- that held nothing and was approved in full keeps that gap (docs/security.md).
CREATE FUNCTION claim_line_fixed_once_approved() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    claim_state text;
    latest record;
BEGIN
    IF (NEW.money_hold_id, NEW.time_hold_id, NEW.sanctioned_pence, NEW.sanction_reason)
       IS NOT DISTINCT FROM (OLD.money_hold_id, OLD.time_hold_id, OLD.sanctioned_pence, OLD.sanction_reason) THEN
        RETURN NEW; -- a second approval writes them as they are
    END IF;
    SELECT c.state INTO claim_state FROM claim c WHERE c.id = NEW.claim_id;
    IF claim_state NOT IN ('awaiting-second-approval', 'approved', 'in-payment-run', 'paid') THEN
        RETURN NEW;
    END IF;
    SELECT t.trigger, t.occurred_at INTO latest FROM claim_transition t WHERE t.claim_id = NEW.claim_id ORDER BY t.id DESC LIMIT 1;
    IF (NEW.money_hold_id, NEW.time_hold_id) IS DISTINCT FROM (OLD.money_hold_id, OLD.time_hold_id)
       OR latest.trigger IS DISTINCT FROM 'approve' OR latest.occurred_at IS DISTINCT FROM now() THEN
        RAISE EXCEPTION USING ERRCODE = 'GL007',
            MESSAGE = format('claim %s is %s: line %s''s sanctioned amount and holds are fixed once it is approved', NEW.claim_id, claim_state, NEW.line_no);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER claim_line_fixed_once_approved
    BEFORE UPDATE OF money_hold_id, time_hold_id, sanctioned_pence, sanction_reason ON claim_line
    FOR EACH ROW
    WHEN (OLD.money_hold_id IS NOT NULL OR OLD.time_hold_id IS NOT NULL OR OLD.sanctioned_pence IS NOT NULL OR OLD.sanction_reason IS NOT NULL
          OR NEW.sanctioned_pence IS NOT NULL OR NEW.sanction_reason IS NOT NULL)
    EXECUTE FUNCTION claim_line_fixed_once_approved();
