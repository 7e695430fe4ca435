-- An invoice is claimed once by the school for an action (the same supplier and invoice reference, case and surrounding
-- spaces aside, for the same action number in the school's year: a revised plan gives its actions new ids and keeps their
-- numbers). The service checked it as a line was added and as a claim was submitted, reading the other claims before its
-- writes: two drafts naming one invoice, submitted at the same moment (by two service instances, or in one group of
-- submissions written together, each checked as if alone), could each see the other still a draft, and a script could
-- submit a draft that names a claimed invoice. Now the database decides it as a claim becomes 'submitted', whoever writes,
-- as it does for a TLR (0056, 0070).
--
-- For each of the claim's action-plan lines, in (action number, supplier, invoice) order, the trigger takes a
-- transaction-level advisory lock on the (school, year, action number, supplier, invoice), so a second submission of the
-- same invoice waits there for the first to commit or roll back; then it looks for that invoice on the lines of any claim
-- of the school's year still claimed (not a draft, rejected or withdrawn): another claim's, or an earlier line of this
-- claim. Found, the UPDATE is refused with GL015, its DETAIL the line and the claim that has it ({"lineNo", "claimId",
-- "otherLineNo", "period"}), which the service answers as its own check does: 422 naming lines[n].invoiceRef. Each query
-- takes its own snapshot (READ COMMITTED): the look-up after the lock sees what the submission before it committed.
--
-- Locks are taken in one order for every submission: this trigger's (claim_invoice_once fires before claim_tlr_once:
-- triggers of one event fire in name order), then the TLR's, each sorted. claim_line_invoice indexes the action-plan
-- lines by invoice reference as compared, so the look-up reads only the lines that name it.

CREATE INDEX claim_line_invoice ON claim_line (lower(btrim(invoice_ref))) WHERE kind = 'action-plan';

CREATE FUNCTION claim_invoice_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    other record;
BEGIN
    FOR line IN SELECT l.line_no, a.action_ref, lower(btrim(l.supplier)) AS supplier, lower(btrim(l.invoice_ref)) AS invoice,
                       btrim(l.supplier) AS supplier_as_given, btrim(l.invoice_ref) AS invoice_as_given
                  FROM claim_line l JOIN action_plan_action a ON a.id = l.action_id
                 WHERE l.claim_id = NEW.id AND l.kind = 'action-plan' AND l.supplier IS NOT NULL AND l.invoice_ref IS NOT NULL
                 ORDER BY a.action_ref, 3, 4, l.line_no
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(
            format('invoice %s %s %s %s %s', NEW.school_id, NEW.programme_year_id, line.action_ref, line.supplier, line.invoice), 0));
        SELECT c.id AS claim_id, l.line_no, p.name AS period INTO other
          FROM claim_line l
          JOIN claim c ON c.id = l.claim_id
          JOIN action_plan_action a ON a.id = l.action_id
          JOIN period p ON p.id = c.period_id
         WHERE l.kind = 'action-plan' AND lower(btrim(l.invoice_ref)) = line.invoice AND lower(btrim(l.supplier)) = line.supplier
           AND a.action_ref = line.action_ref
           AND c.school_id = NEW.school_id AND c.programme_year_id = NEW.programme_year_id
           AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
           AND (c.id <> NEW.id OR l.line_no < line.line_no)
         ORDER BY c.id, l.line_no
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'GL015',
                MESSAGE = CASE WHEN other.claim_id = NEW.id
                    THEN format('invoice %s from %s is already claimed for this action on line %s of the claim', line.invoice_as_given,
                                line.supplier_as_given, other.line_no)
                    ELSE format('invoice %s from %s is already claimed for this action on line %s of claim CLM-%s (%s)', line.invoice_as_given,
                                line.supplier_as_given, other.line_no, lpad(other.claim_id::text, greatest(6, length(other.claim_id::text)), '0'), other.period) END
                    || ': an invoice is claimed once for an action (one split across actions goes on a line for each)',
                DETAIL = json_build_object('lineNo', line.line_no, 'claimId', other.claim_id, 'otherLineNo', other.line_no,
                                           'period', other.period)::text;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER claim_invoice_once AFTER UPDATE OF state ON claim
    FOR EACH ROW
    WHEN (NEW.state = 'submitted' AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION claim_invoice_once();
