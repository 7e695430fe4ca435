-- Migration 0093's check of a decision, comparing the two sides once each. 0093 compared the transfers a decision's entry
-- should hold (claim_decision_resolutions: every hold of the submission's entry, posted or voided as the lines say) with
-- the entry's own by EXCEPT ALL both ways, and so computed each side twice (seen in 0093's review, 7 December). Each side
-- is now read once, materialized, and the two compared from there. The rule, its message and its error code (GL010) are
-- 0093's; it runs for decisions only, off the submission's path.

CREATE OR REPLACE FUNCTION claim_history_resolves_its_holds() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    submission bigint;
    differences bigint;
BEGIN
    SELECT t.entry_id INTO submission FROM claim_transition t
     WHERE t.claim_id = NEW.claim_id AND t.trigger = 'submit' AND t.id < NEW.id
     ORDER BY t.id DESC LIMIT 1;
    IF submission IS NULL THEN
        RETURN NULL; -- no submission with an entry to resolve: claim_history_chained refuses such a move
    END IF;
    WITH expected AS MATERIALIZED (
             SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(NEW.claim_id, submission, NEW.to_state = 'approved') r),
         written AS MATERIALIZED (
             SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = NEW.entry_id)
    SELECT count(*) INTO differences FROM (
        (SELECT * FROM expected EXCEPT ALL SELECT * FROM written)
        UNION ALL
        (SELECT * FROM written EXCEPT ALL SELECT * FROM expected)
    ) d;
    IF differences > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'GL010',
            MESSAGE = format('claim %s cannot %s with journal entry %s: %s',
                             NEW.claim_id, NEW.trigger, NEW.entry_id,
                             CASE WHEN NEW.to_state = 'approved'
                                  THEN format('its approval posts each hold of its submission''s entry %s once, a line''s money for its sanctioned amount and its time in full, voiding a line sanctioned to nothing, and moves nothing else', submission)
                                  ELSE format('a %s voids each hold of its submission''s entry %s once, and moves nothing else', NEW.trigger, submission) END),
            DETAIL = json_build_object('claimId', NEW.claim_id, 'trigger', NEW.trigger, 'entryId', NEW.entry_id,
                                       'submissionEntryId', submission, 'transfersDiffering', differences)::text;
    END IF;
    RETURN NULL;
END $$;
