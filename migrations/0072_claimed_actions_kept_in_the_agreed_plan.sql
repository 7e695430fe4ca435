-- A claim's action-plan spending stays in the school's agreed plan. The service checked it on both sides: a claim is
-- submitted only on actions (by number, kept across versions) of the agreed version, and a version is agreed only if it
-- keeps every action with spending claimed (lines on the school's claims of the year that are not drafts, rejected or
-- withdrawn). Each check read the other side before its own writes: an area lead agreeing a version that drops action A
-- while the school submitted a claim on A under the version before could each see the other not yet committed, both were
-- taken, and the agreed plan no longer showed spending that was claimed. Now the database decides both, whoever writes.
--
-- Both triggers first take one transaction-level advisory lock on the (school, year), then read with a fresh snapshot:
-- each statement of a plpgsql function takes its own under READ COMMITTED, so the read after the lock sees whatever the
-- other side committed before releasing it. (Under REPEATABLE READ or SERIALIZABLE the snapshot is the transaction's
-- first, as for 0056 and 0071: the service runs READ COMMITTED, PostgreSQL's default.)
-- - claim_actions_in_agreed_plan, as a claim with action-plan lines becomes 'submitted': each line's action number must
--   be an action of the school's agreed version for the claim's year; if not, GL016, DETAIL {"lineNo", "actionRef"} of
--   the first such line, which the service answers as its own check: 422 naming lines[n].actionId.
-- - plan_keeps_claimed_actions, as a version becomes 'agreed': no line of a claim of the school's year that counts as
--   claimed spending may name (by number) an action the version leaves out; if one does, GL017, DETAIL
--   [{"actionRef", "claimIds"}], which the service answers as its own check: 409 plan-drops-claimed-action.
--
-- Why whichever commits second is refused or goes through rightly, whatever the interleaving. Agreeing updates the
-- previously agreed version to 'superseded' and then the new one to 'agreed' in one transaction; the lock is taken by
-- the second update, so an agreement may have superseded the old version (uncommitted) before it holds the lock:
-- - the agreement holds the lock first: the submission waits at its lock until the agreement commits or rolls back,
--   then reads the agreed version as committed: the new one if the agreement committed (both updates commit together,
--   so exactly one version reads as agreed), the old one if it rolled back. A line on an action the new version drops
--   is refused.
-- - the submission holds the lock first: its read does not wait on the agreement's uncommitted row changes (readers
--   never wait on writers) and sees the old version still agreed, so its lines on the old version's actions are taken;
--   the agreement waits at its lock until the submission commits, then sees the claim submitted and is refused if it
--   drops one of its actions (or goes through if the submission rolled back: a budget overspent, say).
-- A version inserted as agreed passes the trigger too (with no actions: they are added only to drafts, 0010), an agreed
-- version's actions never change (0010), and a claim's lines are frozen once it leaves draft (0049), so nothing else
-- can break it.
--
-- Locks, in one order: a submission takes this lock at its claim's UPDATE, before the invoice's and the TLR's
-- (claim_actions_in_agreed_plan fires before claim_invoice_once and claim_tlr_once: triggers of one event fire in name
-- order) and before its entry locks the school's accounts; an agreement takes only this one, after the row locks on the
-- versions, which no submission takes. A claim without action-plan lines takes none.

CREATE FUNCTION claim_actions_in_agreed_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
BEGIN
    IF NOT EXISTS (SELECT FROM claim_line l WHERE l.claim_id = NEW.id AND l.kind = 'action-plan' AND l.action_id IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(format('action plan %s %s', NEW.school_id, NEW.programme_year_id), 0));
    SELECT l.line_no, a.action_ref INTO line
      FROM claim_line l JOIN action_plan_action a ON a.id = l.action_id
     WHERE l.claim_id = NEW.id AND l.kind = 'action-plan'
       AND NOT EXISTS (SELECT FROM action_plan p JOIN action_plan_action k ON k.action_plan_id = p.id
                        WHERE p.school_id = NEW.school_id AND p.programme_year_id = NEW.programme_year_id AND p.state = 'agreed'
                          AND k.action_ref = a.action_ref)
     ORDER BY l.line_no
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL016',
            MESSAGE = format('line %s''s action is no longer in the school''s agreed action plan: choose one from the plan in force', line.line_no),
            DETAIL = json_build_object('lineNo', line.line_no, 'actionRef', line.action_ref)::text;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER claim_actions_in_agreed_plan AFTER UPDATE OF state ON claim
    FOR EACH ROW
    WHEN (NEW.state = 'submitted' AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION claim_actions_in_agreed_plan();

CREATE FUNCTION plan_keeps_claimed_actions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dropped json;
    said text;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = 'agreed' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(format('action plan %s %s', NEW.school_id, NEW.programme_year_id), 0));
    -- as the service counts claimed spending: lines on actions of any version of the school's plan for the year, on
    -- claims not drafts, rejected or withdrawn
    SELECT json_agg(json_build_object('actionRef', d.action_ref, 'claimIds', d.claims) ORDER BY d.action_ref),
           string_agg(format('action %s has spending claimed on %s %s', d.action_ref,
                             CASE WHEN cardinality(d.claims) = 1 THEN 'claim' ELSE 'claims' END,
                             (SELECT string_agg('CLM-' || lpad(id::text, greatest(6, length(id::text)), '0'), ', ' ORDER BY id)
                                FROM unnest(d.claims) AS id)), '; ' ORDER BY d.action_ref)
      INTO dropped, said
      FROM (SELECT a.action_ref, array_agg(DISTINCT c.id ORDER BY c.id) AS claims
              FROM claim_line l
              JOIN action_plan_action a ON a.id = l.action_id
              JOIN action_plan v ON v.id = a.action_plan_id
              JOIN claim c ON c.id = l.claim_id
             WHERE v.school_id = NEW.school_id AND v.programme_year_id = NEW.programme_year_id
               AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
               AND NOT EXISTS (SELECT FROM action_plan_action k WHERE k.action_plan_id = NEW.id AND k.action_ref = a.action_ref)
             GROUP BY a.action_ref) d;
    IF dropped IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'GL017',
            MESSAGE = format('This version leaves out spending claimed since it was sent: %s. Return it to the school to keep the action.', said),
            DETAIL = dropped::text;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER plan_keeps_claimed_actions AFTER INSERT OR UPDATE OF state ON action_plan
    FOR EACH ROW
    WHEN (NEW.state = 'agreed')
    EXECUTE FUNCTION plan_keeps_claimed_actions();
