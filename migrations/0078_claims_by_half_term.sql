-- A half-term's claims, found by the index, newest first.
--
-- The claims list filtered by half-term (the ledger's claims page, GET /api/v1/claims?periodId=, an area lead's review
-- queue by half-term) had no index on the half-term: its page walked every claim newest first and kept the half-term's,
-- and its count read the whole table. At national scale (300,000 claims, 18 half-terms) the oldest half-term's page
-- passed 276,000 later claims (450 ms cold, 112 ms p50 warm) and its count took 116 ms; by this index 1.5 ms and 28 ms
-- (docs/performance-reads.md, "A half-term's claims, by their index").
--
-- Its cost: a claim's move from state to state is not a HOT update (its state is indexed), so each writes one entry more
-- here, about 5 µs (3–16 µs alternated by hand, 20 updates a transaction), beside 1.4–2.3 ms of the machine's time a
-- submission takes (docs/performance.md, section 44).

CREATE INDEX claim_period ON claim (period_id, id);
