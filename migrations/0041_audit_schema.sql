-- Read-only views for auditors who query PostgreSQL directly, in a schema of their own, and a
-- NOLOGIN role that may read them and nothing else. Grant it to a login role of your own:
--   CREATE ROLE jo_auditor LOGIN PASSWORD '…' IN ROLE grantledger_auditor;
-- Amounts are integers in the unit's smallest step: pence (GBP) or minutes (MIN). Documented in
-- docs/auditing.md. Views run with their owner's rights, so the role needs no grant on the tables.

CREATE SCHEMA audit;

-- One row per transfer, with its entry and both accounts.
CREATE VIEW audit.journal_lines AS
SELECT t.id AS transfer_id, j.id AS entry_id, j.programme_id, p.code AS programme,
       t.value_date, j.recorded_at, j.description, j.cause_type, j.cause_id, j.reverses_entry_id,
       j.actor_id, u.user_name AS actor, t.unit, t.kind, t.pending_id, t.amount,
       t.debit_account_id, da.code AS debit_account, t.credit_account_id, ca.code AS credit_account,
       COALESCE(da.school_id, ca.school_id) AS school_id
  FROM transfer t
  JOIN journal_entry j ON j.id = t.entry_id
  JOIN programme p ON p.id = j.programme_id
  JOIN account da ON da.id = t.debit_account_id
  JOIN account ca ON ca.id = t.credit_account_id
  LEFT JOIN app_user u ON u.id = j.actor_id;

CREATE VIEW audit.journal_entries AS
SELECT j.id AS entry_id, j.programme_id, j.value_date, j.recorded_at, j.description, j.actor_id, u.user_name AS actor,
       j.cause_type, j.cause_id, j.reverses_entry_id,
       (SELECT r.id FROM journal_entry r WHERE r.reverses_entry_id = j.id) AS reversed_by_entry_id
  FROM journal_entry j
  LEFT JOIN app_user u ON u.id = j.actor_id;

-- Accounts with their balances now (posted and pending, debits and credits).
CREATE VIEW audit.accounts AS
SELECT a.id AS account_id, a.programme_id, a.code, a.name, a.unit, a.normal_side, a.limit_kind,
       a.programme_year_id, a.school_id, s.urn AS school_urn, s.area_id, a.category_id,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
       CASE a.normal_side WHEN 'debit' THEN a.debits_posted - a.credits_posted
                          ELSE a.credits_posted - a.debits_posted END AS balance
  FROM account a
  LEFT JOIN school s ON s.id = a.school_id;

-- Balances by value date, as recorded by a moment ('infinity': as known now).
CREATE FUNCTION audit.balances_as_of(p_programme_id bigint, p_value_date date, p_recorded_by timestamptz DEFAULT 'infinity')
RETURNS TABLE (account_id bigint, code text, unit text, debits_posted bigint, credits_posted bigint,
               debits_pending bigint, credits_pending bigint, balance bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT a.id, a.code, a.unit, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending,
           CASE a.normal_side WHEN 'debit' THEN b.debits_posted - b.credits_posted
                              ELSE b.credits_posted - b.debits_posted END
      FROM account_balances_as_of(p_programme_id, p_value_date, p_recorded_by) b
      JOIN account a ON a.id = b.account_id
     ORDER BY a.unit, a.code
$$;
REVOKE ALL ON FUNCTION audit.balances_as_of(bigint, date, timestamptz) FROM PUBLIC;

CREATE VIEW audit.trail AS
SELECT e.id AS event_id, e.occurred_at, e.user_id, e.user_name, e.role, e.action, e.record_type, e.record_id,
       e.programme_id, e.details, e.client_address
  FROM audit_event e;

CREATE VIEW audit.claims AS
SELECT c.id AS claim_id, c.programme_id, c.programme_year_id, c.period_id, c.school_id, s.urn AS school_urn, s.area_id,
       c.state, c.description, c.created_by, c.created_at, c.submitted_by, c.submitted_at, c.first_approved_by,
       c.decided_by, c.decided_at, c.reason, c.payment_run_id
  FROM claim c
  JOIN school s ON s.id = c.school_id;

CREATE VIEW audit.claim_transitions AS
SELECT t.id AS transition_id, t.claim_id, t.trigger, t.from_state, t.to_state, t.actor_id, u.user_name AS actor,
       t.actor_role, t.occurred_at, t.reason, t.entry_id, t.details
  FROM claim_transition t
  LEFT JOIN app_user u ON u.id = t.actor_id;

-- Evidence files without their content: the SHA-256 proves what was submitted.
CREATE VIEW audit.evidence_files AS
SELECT e.id AS evidence_id, e.claim_id, e.claim_line_id, e.file_name, e.content_type, e.size_bytes,
       encode(e.sha256, 'hex') AS sha256, e.uploaded_by, u.user_name AS uploaded_by_name, e.uploaded_at
  FROM evidence e
  LEFT JOIN app_user u ON u.id = e.uploaded_by;

CREATE VIEW audit.payment_runs AS
SELECT r.id AS payment_run_id, r.programme_id, r.state, r.area_id, r.period_id, r.as_of, r.total_pence,
       r.payee_count, r.claim_count, r.built_by, r.built_at
  FROM payment_run r;

CREATE VIEW audit.chain_seals AS
SELECT s.chain, s.seq, s.record_type, s.record_id, encode(s.hash, 'hex') AS hash, s.sealed_at
  FROM chain_seal s;

-- How far each chain's sealing lags behind its writers.
CREATE VIEW audit.seal_status AS
WITH chains AS (SELECT chain FROM chain_seal UNION SELECT chain FROM seal_queue)
SELECT c.chain,
       (SELECT max(s.seq) FROM chain_seal s WHERE s.chain = c.chain) AS sealed,
       (SELECT max(s.sealed_at) FROM chain_seal s WHERE s.chain = c.chain) AS last_sealed_at,
       (SELECT count(*) FROM seal_queue q WHERE q.chain = c.chain) AS unsealed,
       (SELECT min(q.queued_at) FROM seal_queue q WHERE q.chain = c.chain) AS oldest_unsealed_at
  FROM chains c;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grantledger_auditor') THEN
        CREATE ROLE grantledger_auditor NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not create the role grantledger_auditor: a superuser can, then grant it as docs/auditing.md says';
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grantledger_auditor') THEN
        GRANT USAGE ON SCHEMA audit TO grantledger_auditor;
        GRANT SELECT ON ALL TABLES IN SCHEMA audit TO grantledger_auditor;
        GRANT EXECUTE ON FUNCTION audit.balances_as_of(bigint, date, timestamptz) TO grantledger_auditor;
    END IF;
END $$;
