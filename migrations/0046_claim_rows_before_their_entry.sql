-- A claim's submission, approval, return, rejection or withdrawal writes the claim's own rows (the
-- lines' holds, the history row) before its journal entry, with the entry's and the transfers' ids
-- taken from their sequences beforehand: the entry's statement locks the school's budget accounts
-- until commit, and every claim of the school queues on those locks, so it comes last and commits in
-- the same round trip (docs/performance.md, hot).
--
-- The keys from those rows to the entry and its transfers are therefore checked at commit
-- (DEFERRABLE INITIALLY DEFERRED) instead of at each statement. A line's hold or a history row that
-- names a transfer or an entry that does not exist still refuses the transaction, at its commit.

ALTER TABLE claim_line
    ALTER CONSTRAINT claim_line_money_hold_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT claim_line_time_hold_id_fkey DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE claim_transition
    ALTER CONSTRAINT claim_transition_entry_id_fkey DEFERRABLE INITIALLY DEFERRED;
