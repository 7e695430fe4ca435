-- Two trigger checks look up a few rows by a key that has an index: journal_entry_complete (an entry has transfers,
-- at commit) and claim_state_change_recorded (0052: a state change has its history row). Each is planned once and
-- the plan is reused: the state-change check on purpose (force_generic_plan), the entry check by PostgreSQL's plan
-- cache after five calls. A plan made from statistics that do not fit the rows being checked read the whole table
-- for every row, and kept doing so:
--
-- - the entry check, after a few entries of thousands of transfers (a funding, a national allocation), expects
--   thousands of transfers per entry, so a sequential scan that stops at the first match looks cheaper than the
--   index; but a new entry's transfers are at the end of the table. Committing 48,000 entries in one transaction
--   ran for more than 6 minutes before it was stopped (docs/benchmarks.md, "What is left");
-- - the state-change check, planned from statistics that say the history is empty (a database analysed before its
--   first transition, as after a restore or an upgrade, or a benchmark's first minute), read the whole history
--   table for every transition until autovacuum analysed it again: 3-4 ms each by the end of a benchmark's first
--   minute (docs/performance.md, section 7).
--
-- Each lookup returns at most a handful of rows, so its index is the right plan at any table size. enable_seqscan
-- off, for these two functions only, makes the planner take it whatever the statistics say. What they check and
-- refuse is unchanged.

ALTER FUNCTION journal_entry_complete() SET enable_seqscan = off;
ALTER FUNCTION claim_state_change_recorded() SET enable_seqscan = off;
