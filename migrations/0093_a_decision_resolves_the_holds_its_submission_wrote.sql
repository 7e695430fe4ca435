-- A claim's decision resolves the holds its submission wrote, as the lines say. A submission holds each line (a pending
-- transfer for its money, another for its staff time: 0091 keeps each line's hold its own); the decision resolves them in
-- its own entry (ClaimLedger.Resolve):
-- * an approval that decides the claim (approve to approved, second-approve) posts each line's money hold for the line's
--   sanctioned amount (its amount when it has no sanction) and its time hold in full, and voids both holds of a line
--   sanctioned to nothing;
-- * a return, a rejection or a withdrawal voids every hold.
-- Each hold is resolved once, in that entry, and the entry moves nothing else.
--
-- Migration 0086 checked a decision's entry by its cause and time, not by its transfers (docs/security.md, "Seen and
-- left", 7 December). A script approving a claim could post a line in full that its lead had sanctioned for less (the
-- payment run then pays the sanctioned amount, and the difference sits in the school's payable account, owed to nobody),
-- void the holds of a claim it approved, or leave a hold pending on a claim it rejected, holding the school's budget for
-- ever. The ledger's own rules (GL004) see only that each resolution names a pending transfer and does not post more.
--
-- So a decision's history row, at commit, compares the transfers of its entry with the holds of the claim's latest
-- submission (the pending transfers of that move's entry) resolved as above; any difference is refused (GL010). The
-- submission's path is untouched: the check runs for decisions only.
--
-- Decisions written before this migration are checked as it runs: one whose entry does not resolve its submission's holds
-- so is named in a WARNING and kept as it is, so that the service still starts on that database.

-- The transfers a decision's entry should hold, as (pending_id, kind, amount): every hold of the submission's entry, posted
-- or voided as the claim's lines say. Shared by the trigger and the migration's check below.
CREATE FUNCTION claim_decision_resolutions(p_claim_id bigint, p_submission_entry_id bigint, p_posting boolean)
RETURNS TABLE (pending_id bigint, kind text, amount bigint) LANGUAGE sql STABLE AS $$
    SELECT h.id,
           CASE WHEN p_posting AND l.sanctioned_pence IS DISTINCT FROM 0 THEN 'post_pending' ELSE 'void_pending' END,
           CASE WHEN p_posting AND l.sanctioned_pence IS DISTINCT FROM 0 AND h.id = l.money_hold_id
                THEN coalesce(l.sanctioned_pence, l.amount_pence) ELSE h.amount END
      FROM transfer h
      LEFT JOIN claim_line l ON l.claim_id = p_claim_id AND h.id IN (l.money_hold_id, l.time_hold_id)
     WHERE h.entry_id = p_submission_entry_id AND h.kind = 'pending'
$$;

CREATE FUNCTION claim_history_resolves_its_holds() RETURNS trigger LANGUAGE plpgsql
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
    SELECT count(*) INTO differences FROM (
        (SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(NEW.claim_id, submission, NEW.to_state = 'approved') r
         EXCEPT ALL
         SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = NEW.entry_id)
        UNION ALL
        (SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = NEW.entry_id
         EXCEPT ALL
         SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(NEW.claim_id, submission, NEW.to_state = 'approved') r)
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

-- Named to fire after claim_history_chained (triggers of one event fire in name order), whose refusal of a move without
-- its own entry is the one to give first.
CREATE CONSTRAINT TRIGGER claim_history_resolves_its_holds AFTER INSERT ON claim_transition
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.entry_id IS NOT NULL
          AND ((NEW.trigger IN ('approve', 'second-approve') AND NEW.to_state = 'approved')
               OR NEW.trigger IN ('return', 'reject', 'withdraw')))
    EXECUTE FUNCTION claim_history_resolves_its_holds();

DO $$
DECLARE
    wrong text;
BEGIN
    SELECT string_agg(format('claim %s %s (entry %s)', d.claim_id, d.trigger, d.entry_id), '; ' ORDER BY d.claim_id, d.id)
      INTO wrong
      FROM claim_transition d
      CROSS JOIN LATERAL (SELECT s.entry_id FROM claim_transition s
                           WHERE s.claim_id = d.claim_id AND s.trigger = 'submit' AND s.id < d.id
                           ORDER BY s.id DESC LIMIT 1) s
     WHERE d.entry_id IS NOT NULL AND s.entry_id IS NOT NULL
       AND ((d.trigger IN ('approve', 'second-approve') AND d.to_state = 'approved') OR d.trigger IN ('return', 'reject', 'withdraw'))
       AND EXISTS ((SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(d.claim_id, s.entry_id, d.to_state = 'approved') r
                    EXCEPT ALL
                    SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = d.entry_id)
                   UNION ALL
                   (SELECT t.pending_id, t.kind, t.amount FROM transfer t WHERE t.entry_id = d.entry_id
                    EXCEPT ALL
                    SELECT r.pending_id, r.kind, r.amount FROM claim_decision_resolutions(d.claim_id, s.entry_id, d.to_state = 'approved') r));
    IF wrong IS NOT NULL THEN
        RAISE WARNING 'claim decisions whose entry does not resolve their submission''s holds as their lines say, kept as they are (the rule holds from now on): %', wrong;
    END IF;
END $$;
