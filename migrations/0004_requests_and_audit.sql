-- Idempotency keys for requests that move money, and the append-only audit trail.

CREATE TABLE idempotency_key (
    user_id             bigint NOT NULL REFERENCES app_user(id),
    key                 text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    method              text NOT NULL,
    path                text NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused
    request_hash        bytea NOT NULL,
    status_code         integer,
    response_body       bytea,
    response_content_type text,
    response_location   text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE audit_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    user_id         bigint REFERENCES app_user(id),
    user_name       text,
    role            text,
    -- e.g. programme.created, allocation.posted, user.token-issued, sign-in.failed
    action          text NOT NULL CHECK (action ~ '^[a-z][a-z-]*\.[a-z][a-z-]*$'),
    record_type     text NOT NULL,
    record_id       bigint,
    programme_id    bigint REFERENCES programme(id),
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    client_address  text
);
CREATE INDEX audit_event_record ON audit_event (record_type, record_id);
CREATE INDEX audit_event_user ON audit_event (user_id, occurred_at);

CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
