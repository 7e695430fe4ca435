-- evidence_frozen (0015) checked, for an UPDATE, only the claim the evidence belongs to afterwards: evidence could
-- be moved out of a submitted claim into a draft, leaving the submitted claim without the file its reviewer saw.
-- It now refuses when either claim, the one the evidence leaves or the one it joins, has left draft (as
-- claim_line_frozen does since 0049). What else it refuses is unchanged.

CREATE OR REPLACE FUNCTION evidence_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen record;
BEGIN
    SELECT c.id, c.state INTO frozen
      FROM claim c
     WHERE c.id IN (COALESCE(NEW.claim_id, OLD.claim_id), COALESCE(OLD.claim_id, NEW.claim_id))
       AND c.state <> 'draft'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GL007',
            MESSAGE = format('claim %s is %s: its evidence can no longer change', frozen.id, frozen.state);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
