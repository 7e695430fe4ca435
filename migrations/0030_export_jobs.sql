-- Exports asked for through the API run as background jobs: queued, then running (the instance
-- running one holds a session advisory lock on it, so a job whose lock is free while it says
-- 'running' was interrupted and is marked failed), then succeeded with its file, or failed with why.
-- The file is kept in export_file (docs/decisions/0008-export-files-in-postgresql.md).

CREATE TABLE export_job (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    kind            text NOT NULL CHECK (kind IN ('workbook', 'csv', 'hledger', 'beancount')),
    as_of           date NOT NULL,
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    percent_done    integer NOT NULL DEFAULT 0 CHECK (percent_done BETWEEN 0 AND 100),
    requested_by    bigint NOT NULL REFERENCES app_user(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    error           text CHECK (length(error) <= 2000),
    file_name       text CHECK (length(file_name) <= 200),
    content_type    text,
    size_bytes      bigint CHECK (size_bytes >= 0),
    sha256          bytea CHECK (length(sha256) = 32),
    CHECK ((state = 'succeeded') = (sha256 IS NOT NULL AND file_name IS NOT NULL AND content_type IS NOT NULL AND size_bytes IS NOT NULL)),
    CHECK ((state = 'failed') = (error IS NOT NULL)),
    CHECK ((state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);
CREATE INDEX export_job_programme ON export_job (programme_id, id);
CREATE INDEX export_job_unfinished ON export_job (id) WHERE state IN ('queued', 'running');

-- The finished file, byte for byte (its SHA-256 is on the job).
CREATE TABLE export_file (
    job_id          bigint PRIMARY KEY REFERENCES export_job(id),
    content         bytea NOT NULL
);
