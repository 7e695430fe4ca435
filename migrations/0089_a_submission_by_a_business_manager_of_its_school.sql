-- A claim's submission is taken by a business manager of its school (decision 23, closed). Migration 0086 checked, at
-- commit, that every move of a claim is written by a user of the role the lifecycle gives it whose scope reaches the claim:
-- every move but a submission, whose actor was left unlooked-up to spare the one request whose benchmark is unmet
-- (docs/security.md, "Seen and left", 7 December). A script could write a claim's submission, with its entry holding the
-- school's money, as another school's business manager, or as a user who is no business manager at all under the role's
-- name; the reviewer-not-submitter rule then read that user as the submitter. The look-up is one key probe of app_user, the
-- row the history row's own key to its actor already reads; ten such keys' locks left out of a submission were not
-- measurable (docs/performance.md, section 67).
--
-- claim_history_chained is 0086's, with that one condition gone. Rows written before this migration are left as they are
-- (the check runs as a history row is written).

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

    -- who: the move's role, and a user of that role whose scope reaches the claim (a submission's too, since 0089)
    IF NEW.actor_role IS DISTINCT FROM allowed.role THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s as %s: only role %s takes that move', NEW.claim_id, NEW.trigger, NEW.actor_role, allowed.role);
    END IF;
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
