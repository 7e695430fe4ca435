-- ledger_apply_transfers (0044) runs its eight statements with the statement's transfers as arrays
-- (ids, dp, cp, …) and reads them from the transition table. PostgreSQL's plan cache gave each of
-- those statements a custom plan on every call: with array parameters the generic plan's estimate
-- never looked cheaper than a custom one, so every entry planned all eight afresh. For an entry of
-- one or two transfers (a claim, a payment, the pgbench ceilings) planning was most of the
-- trigger's time: pgbench's one-transfer entry took 1.3–1.5 ms, 0.8–1.1 ms with generic plans
-- (docs/performance.md, "Generic plans for the ledger trigger").
--
-- force_generic_plan makes each statement plan once per connection and reuse that plan. The plans
-- are the same shape at any size (index look-ups by id, hash aggregates that grow as needed), so a
-- 96,000-transfer allocation keeps its time (bench bulk). What the trigger checks and refuses is
-- unchanged.

ALTER FUNCTION ledger_apply_transfers() SET plan_cache_mode = force_generic_plan;
