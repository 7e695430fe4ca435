-- evidence_frozen (0015) checked, for an UPDATE, only the claim the evidence belongs to afterwards: evidence could
-- be moved out of a submitted claim into a draft, leaving the submitted claim without the file its reviewer saw.
-- Evidence now takes claim_row_frozen (0049), as the claim's lines do: it refuses when either claim, the one the
-- evidence leaves or the one it joins, has left draft. What else it refuses, and its message, are unchanged.

DROP TRIGGER evidence_frozen ON evidence;
DROP FUNCTION evidence_frozen();

CREATE TRIGGER evidence_frozen BEFORE INSERT OR UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION claim_row_frozen();
