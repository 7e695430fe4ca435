-- Each claim's half-term, kept in a table of its own that a claim's moves never write, so that a half-term's claims are
-- read among the claims between its first and its last, at any scale.
--
-- The ledger's claims page, GET /api/v1/claims?periodId=, the review queue by half-term, a half-term's close and a payment
-- run for one half-term found a half-term's claims by claim.period_id, which nothing indexed: at national scale (300,000
-- claims in 18 half-terms) the oldest half-term's page walked the 276,000 claims after it (94–117 ms p50, 452 ms cold) and
-- its count read every claim (46–116 ms). An index on claim (period_id, id) made both flat, but a claim's state is indexed,
-- so its every move writes a new entry in each of the claim's indexes, and with one more the submission measured lower
-- (docs/performance.md, section 44). A claim's half-term is chosen when it is drafted and changes only while it is a draft,
-- so its row here is written then, and never as the claim is submitted, reviewed, approved or paid.
--
-- The service reads a half-term's first and last claim from this table's index and its claims by claim's own key between
-- them (ClaimReads.OfHalfTerm): a half-term takes no new claim once it is closed, so they lie close together.
--
-- The rows are written only by the triggers on claim below; anything else writing them is refused.

CREATE TABLE claim_half_term (
    claim_id   bigint PRIMARY KEY REFERENCES claim(id) ON DELETE CASCADE,
    period_id  bigint NOT NULL
);
CREATE INDEX claim_half_term_period ON claim_half_term (period_id, claim_id);

INSERT INTO claim_half_term (claim_id, period_id) SELECT id, period_id FROM claim;

-- Claims drafted: one statement's claims at once (an import's or a seed's thousands, a draft's one).
CREATE FUNCTION claim_half_term_drafted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claim_half_term (claim_id, period_id) SELECT id, period_id FROM claims_drafted;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_half_term_drafted AFTER INSERT ON claim
    REFERENCING NEW TABLE AS claims_drafted FOR EACH STATEMENT EXECUTE FUNCTION claim_half_term_drafted();

-- A draft moved to another half-term (a submitted claim's stays: migration 0055). Fires only for an UPDATE that sets
-- period_id, which a claim's moves do not.
CREATE FUNCTION claim_half_term_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE claim_half_term SET period_id = NEW.period_id WHERE claim_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_half_term_moved AFTER UPDATE OF period_id ON claim
    FOR EACH ROW WHEN (OLD.period_id IS DISTINCT FROM NEW.period_id) EXECUTE FUNCTION claim_half_term_moved();

-- Only those triggers, and a draft's deletion (the key's cascade), write the rows: they run one level down, so
-- pg_trigger_depth() is 2 here. TRUNCATE is refused, with claim's too.
CREATE FUNCTION claim_half_term_written_by_claims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = 'a claim''s half-term is its own (claim.period_id): claim_half_term is written only as claims are';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_half_term_written_by_claims BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON claim_half_term
    FOR EACH STATEMENT EXECUTE FUNCTION claim_half_term_written_by_claims();
