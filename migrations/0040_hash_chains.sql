-- Tamper evidence: journal entries (one chain per programme) and audit events (one chain) are
-- sealed into SHA-256 hash chains after they commit. Writers only queue what they wrote (no shared
-- row, so posting is never throttled to one writer at a time); a background sealer takes each
-- chain's queue in order, under an advisory lock per chain, and appends one seal per record:
--   hash(n) = SHA-256( hash(n-1) || canonical content of the record )   (hash(0) = 32 zero bytes)
-- The canonical content is defined in src/GrantLedger.Web/Audit/ChainContent.cs and docs/auditing.md.
-- See docs/decisions/0007-hash-chains-sealed-in-the-background.md.

-- What is written but not yet sealed. Not evidence itself: verification also finds records that
-- are neither sealed nor queued.
CREATE TABLE seal_queue (
    record_type     text NOT NULL CHECK (record_type IN ('journal_entry', 'audit_event')),
    record_id       bigint NOT NULL,
    -- 'journal:<programme id>' or 'audit'
    chain           text NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_type, record_id)
);
CREATE INDEX seal_queue_chain ON seal_queue (chain, record_id);

-- The chains: append-only, like what they seal.
CREATE TABLE chain_seal (
    chain           text NOT NULL CHECK (chain ~ '^(audit|journal:[0-9]+)$'),
    seq             bigint NOT NULL CHECK (seq > 0),
    record_type     text NOT NULL CHECK (record_type IN ('journal_entry', 'audit_event')),
    record_id       bigint NOT NULL,
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, seq),
    UNIQUE (record_type, record_id)
);

CREATE TRIGGER chain_seal_immutable BEFORE UPDATE OR DELETE ON chain_seal
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER chain_seal_no_truncate BEFORE TRUNCATE ON chain_seal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION seal_queue_journal_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seal_queue (record_type, record_id, chain)
    SELECT 'journal_entry', n.id, 'journal:' || n.programme_id FROM inserted n;
    RETURN NULL;
END $$;

CREATE TRIGGER journal_entry_queue_seal AFTER INSERT ON journal_entry
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION seal_queue_journal_entries();

CREATE FUNCTION seal_queue_audit_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seal_queue (record_type, record_id, chain)
    SELECT 'audit_event', n.id, 'audit' FROM inserted n;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_event_queue_seal AFTER INSERT ON audit_event
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION seal_queue_audit_events();

-- Rows written before this migration join their chains in id order at the first sealing.
INSERT INTO seal_queue (record_type, record_id, chain, queued_at)
SELECT 'journal_entry', id, 'journal:' || programme_id, recorded_at FROM journal_entry;
INSERT INTO seal_queue (record_type, record_id, chain, queued_at)
SELECT 'audit_event', id, 'audit', occurred_at FROM audit_event;

-- Searching the trail by who and when, and by programme.
CREATE INDEX audit_event_programme ON audit_event (programme_id, id);
CREATE INDEX audit_event_occurred ON audit_event (occurred_at, id);
CREATE INDEX journal_entry_actor ON journal_entry (actor_id, id);
