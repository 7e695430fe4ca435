-- The ledger's checks (LedgerChecks: audit check's, over one programme's rows) asked for from the ledger's checks page or
-- the API and run in the background, as exports are (0030): queued, then running (the instance running one holds a
-- session advisory lock on it, so a run whose lock is free while it says 'running' was interrupted and is marked failed),
-- then succeeded with its report, or failed with why. The page ran every check on each visit, seconds on a large ledger;
-- now a visit shows the last run, and each run stays on record: when the checks ran, who asked, and what they found.
--
-- The report is the API's (LedgerChecks.Report as JSON): the programme, when its snapshot was read, and each check's name,
-- whether it holds, the rows it names (at most the run's "most") and whether there are more.

CREATE TABLE ledger_check_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    most            integer NOT NULL CHECK (most BETWEEN 1 AND 100),
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    requested_by    bigint NOT NULL REFERENCES app_user(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    error           text CHECK (length(error) <= 2000),
    report          jsonb CHECK (jsonb_typeof(report) = 'object'),
    CHECK ((state = 'succeeded') = (report IS NOT NULL)),
    CHECK ((state = 'failed') = (error IS NOT NULL)),
    CHECK ((state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
    CHECK (state = 'queued' OR state = 'failed' OR started_at IS NOT NULL)
);
CREATE INDEX ledger_check_run_programme ON ledger_check_run (programme_id, id);
CREATE INDEX ledger_check_run_unfinished ON ledger_check_run (id) WHERE state IN ('queued', 'running');
COMMENT ON TABLE ledger_check_run IS 'The ledger''s checks over one programme, asked for and run in the background, each with its report (LedgerChecks)';

-- asking for a run is on the audit trail, as asking for an export is (AuditAction.LedgerChecksRequested)
ALTER TABLE audit_action DISABLE TRIGGER audit_action_fixed;
INSERT INTO audit_action (action, record_type) VALUES ('ledger-checks.requested', 'ledger_check_run');
ALTER TABLE audit_action ENABLE TRIGGER audit_action_fixed;
