-- Who submitted and decided a claim, when, why, and the payment run it is in: the claim's row says so for the school's
-- pages, the review queue, the payment runs and the auditors' views (audit.claims), and its history (claim_transition)
-- says so too. Until now only the history was PostgreSQL's to keep (0052, 0057, 0086): a script could rewrite
-- claim.submitted_by, first_approved_by, decided_by and payment_run_id, and write an add-to-payment-run row naming one run
-- while putting the claim in another (docs/security.md, "Seen and left", 7 December). Now:
--
-- * a move writes on the claim's row what its history row says, and leaves the rest as it was (claim_state_change_recorded,
--   which already found that row for every state change: no further look-up). As the service's Record
--   (Claims/Transitions.cs) and RunClaims write them:
--     submit                 submitted_by, submitted_at = its actor and time; first_approved_by, decided_by, decided_at,
--                            reason emptied (a claim submitted again is decided again); no payment run
--     approve                first_approved_by = its actor; to approved, decided_by, decided_at as well
--     second-approve,        decided_by, decided_at = its actor and time
--     withdraw
--     return, reject         decided_by, decided_at, and reason = its reason
--     add-to-payment-run     payment_run_id = the run its row names (details.paymentRunId)
--     remove-from-payment-   payment_run_id emptied
--     run, payment-failed
--     start-review,          nothing
--     mark-paid
-- * those columns change only with a move: an UPDATE that leaves the claim's state as it was and changes one of them is
--   refused (GL007, as the claim's other fixed columns: 0051);
-- * a claim is created as a draft that nobody has submitted or decided, in no payment run (GL010, as 0052's draft).
--
-- And two times are the moment they are written, as the service writes them (their columns' default, the transaction's
-- start): a journal entry's recorded_at and an audit event's occurred_at (GL020). A script had written either in the past,
-- and the hash chains then sealed the time as written. A claim's history row was so already (0052 finds a state change's
-- row by occurred_at = now()). The checks are the triggers' WHEN conditions, so an entry or an event written at the
-- transaction's time calls no function; a seed of history (bench/) switches the event's trigger off for its own statement,
-- as a table's owner can.
--
-- Rows written before this migration are left as they are: the ledger and its history are append-only, and the claims'
-- rows are checked from their next move on.

CREATE OR REPLACE FUNCTION claim_state_change_recorded() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan  -- one index probe whatever the claim (decision 0010)
    SET enable_seqscan = off                  -- and that probe whatever the statistics say (0053)
AS $$
DECLARE
    move record;
    decides boolean;
    written text[];
    said text[];
    names text[] := ARRAY['submitted_by', 'submitted_at', 'first_approved_by', 'decided_by', 'decided_at', 'reason', 'payment_run_id'];
BEGIN
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('a claim is created as a draft that nobody has submitted or decided, in no payment run, not %s: it moves on by transitions, each with its history row',
                             CASE WHEN NEW.state <> 'draft' THEN NEW.state ELSE 'a draft that says it was submitted, decided or put in a run' END);
    END IF;
    SELECT t.trigger, t.actor_id, t.occurred_at, t.reason, t.details INTO move FROM claim_transition t
     WHERE t.claim_id = NEW.id AND t.from_state = OLD.state AND t.to_state = NEW.state AND t.occurred_at = now()
     ORDER BY t.id DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot move from %s to %s without a history row recording it in the same transaction',
                             NEW.id, OLD.state, NEW.state);
    END IF;

    -- what the move writes on the claim's row, and the rest as it was
    decides := move.trigger IN ('second-approve', 'withdraw', 'return', 'reject') OR (move.trigger = 'approve' AND NEW.state = 'approved');
    said := ARRAY[
        (CASE WHEN move.trigger = 'submit' THEN move.actor_id ELSE OLD.submitted_by END)::text,
        (CASE WHEN move.trigger = 'submit' THEN move.occurred_at ELSE OLD.submitted_at END)::text,
        (CASE WHEN move.trigger = 'submit' THEN NULL WHEN move.trigger = 'approve' THEN move.actor_id ELSE OLD.first_approved_by END)::text,
        (CASE WHEN move.trigger = 'submit' THEN NULL WHEN decides THEN move.actor_id ELSE OLD.decided_by END)::text,
        (CASE WHEN move.trigger = 'submit' THEN NULL WHEN decides THEN move.occurred_at ELSE OLD.decided_at END)::text,
        CASE WHEN move.trigger = 'submit' THEN NULL WHEN move.trigger IN ('return', 'reject') THEN move.reason ELSE OLD.reason END,
        (CASE WHEN move.trigger = 'submit' THEN NULL
              WHEN move.trigger = 'add-to-payment-run' THEN (move.details->>'paymentRunId')::bigint
              WHEN move.trigger IN ('remove-from-payment-run', 'payment-failed') THEN NULL
              ELSE OLD.payment_run_id END)::text];
    written := ARRAY[NEW.submitted_by::text, NEW.submitted_at::text, NEW.first_approved_by::text, NEW.decided_by::text,
                     NEW.decided_at::text, NEW.reason, NEW.payment_run_id::text];
    IF written IS DISTINCT FROM said THEN
        FOR i IN 1 .. array_length(names, 1) LOOP
            IF written[i] IS DISTINCT FROM said[i] THEN
                RAISE EXCEPTION USING ERRCODE = 'GL010',
                    MESSAGE = format('claim %s''s %s cannot be %s: its %s by user %s at %s makes it %s (a claim''s row says what its history does)',
                                     NEW.id, names[i], coalesce(written[i], 'empty'), move.trigger, move.actor_id, move.occurred_at,
                                     coalesce(said[i], 'empty'));
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER claim_starts_as_draft ON claim;
CREATE TRIGGER claim_starts_as_draft AFTER INSERT ON claim
    FOR EACH ROW
    WHEN (NEW.state <> 'draft'
          OR num_nonnulls(NEW.submitted_by, NEW.submitted_at, NEW.first_approved_by, NEW.decided_by, NEW.decided_at, NEW.reason,
                          NEW.payment_run_id) > 0)
    EXECUTE FUNCTION claim_state_change_recorded();

CREATE FUNCTION claim_moved_columns_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL007',
        MESSAGE = format('claim %s is %s: who submitted and decided it, when, why and its payment run change only with a move of its lifecycle, as its history records it',
                         OLD.id, OLD.state);
END $$;

CREATE TRIGGER claim_moved_columns_fixed BEFORE UPDATE ON claim
    FOR EACH ROW
    WHEN (OLD.state = NEW.state
          AND (NEW.submitted_by, NEW.submitted_at, NEW.first_approved_by, NEW.decided_by, NEW.decided_at, NEW.reason, NEW.payment_run_id)
              IS DISTINCT FROM
              (OLD.submitted_by, OLD.submitted_at, OLD.first_approved_by, OLD.decided_by, OLD.decided_at, OLD.reason, OLD.payment_run_id))
    EXECUTE FUNCTION claim_moved_columns_fixed();

-- A row's time is the moment it is written. TG_ARGV[0] names the column.
CREATE FUNCTION written_now() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL020',
        MESSAGE = format('%s''s %s is the moment it is written, %s, not %s: it cannot be written earlier or later',
                         TG_TABLE_NAME, TG_ARGV[0], now(), to_jsonb(NEW)->>TG_ARGV[0]),
        DETAIL = json_build_object('column', TG_ARGV[0], 'now', now(), 'given', to_jsonb(NEW)->>TG_ARGV[0])::text;
END $$;

CREATE TRIGGER journal_entry_recorded_when_written BEFORE INSERT ON journal_entry
    FOR EACH ROW
    WHEN (NEW.recorded_at IS DISTINCT FROM now())
    EXECUTE FUNCTION written_now('recorded_at');

CREATE TRIGGER audit_event_occurred_when_written BEFORE INSERT ON audit_event
    FOR EACH ROW
    WHEN (NEW.occurred_at IS DISTINCT FROM now())
    EXECUTE FUNCTION written_now('occurred_at');
