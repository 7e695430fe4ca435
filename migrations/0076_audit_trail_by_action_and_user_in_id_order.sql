-- The audit trail's filters by action and by user, each read in the trail's own order (id), a page at a time
-- (docs/performance-reads.md, the auditor's reads: a national trail of 1.78 million events).
--
-- * by action: nothing indexed it, so a page of a rare action (payment-run.approve, 14 events) or of one the trail does
--   not hold yet (year.closed) read the whole trail: 0.3–1.5 s. (action, id) gives an action's events in id order, either
--   way, from a cursor; an action's record part ("claim.") is its actions, which the service lists (AuditReads).
-- * by user: (user_id, occurred_at) found a user's events but not in id order, so PostgreSQL chose between sorting all of
--   a user's events (the seed's admin has a million) and walking the trail in id order for a business manager's dozen
--   (0.25–1.3 s). (user_id, id) serves both, and replaces it: nothing else reads audit_event by user and time.
--
-- Every audit event pays one index entry more than before (the action's): docs/performance-reads.md gives its size and
-- what it costs an insert, measured with pgbench.

CREATE INDEX audit_event_action ON audit_event (action, id);

DROP INDEX audit_event_user;
CREATE INDEX audit_event_user ON audit_event (user_id, id);
