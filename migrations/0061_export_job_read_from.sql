-- Exports can be read on a reports replica (ConnectionStrings:GrantLedgerReports, a hot standby of this database), so
-- that finance's workbooks and the auditors' journals do not take the primary's CPU and I/O. A job records where the
-- primary's WAL had reached when it was asked for, and the runner reads on the replica only once the replica has
-- replayed that far: the export holds everything committed before it was asked for, as one read on the primary would.
-- It records where it was read: 'replica', or 'primary' (no replica configured, or the replica could not be reached
-- or had not caught up in time).

ALTER TABLE export_job
    ADD COLUMN requested_lsn pg_lsn,
    ADD COLUMN read_from text CONSTRAINT export_job_read_from CHECK (read_from IN ('primary', 'replica'));

-- Jobs asked for from now on; those finished before this migration were all read on the primary.
ALTER TABLE export_job ALTER COLUMN requested_lsn SET DEFAULT pg_current_wal_insert_lsn();
UPDATE export_job SET read_from = 'primary' WHERE state = 'succeeded';
