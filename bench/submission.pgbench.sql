-- A claim's submission as SQL alone: the statements the service sends for POST /api/v1/claims/{id}/submit, in its
-- order and in its three round trips (the token; the lock and the reads; the writes and COMMIT), in one transaction,
-- for one prepared draft per transaction: what `http-posting` measures through HTTP, without HTTP and without the
-- service. Run by `GrantLedger.Bench http-posting` with -M prepared and -D first=, clients=, schools=, programme=,
-- valuedate=, available0=, payable0=, user0=, n=0: client c submits the drafts first + c, first + c + clients, …
-- (spread round-robin over the schools, one staff-time line each, as BenchClaims.DraftsAsync writes them; school s's
-- business manager is user user0 + s). Where the service passes what it read (the line, its staff day and amount, the
-- entry's reserved ids), this script reads it again in the statement that uses it (pgbench cannot keep a result inside
-- a pipeline): a few index look-ups more than the service makes PostgreSQL do. The staff day is booked by the claim's
-- UPDATE (its trigger, migration 0087), as the service's is: neither sends a statement for it.
\set n :n + 1
\set id :first + :client_id + (:n - 1) * :clients
\set school (:id - :first) % :schools + 1
\set actor :user0 + :school
\set debit :available0 + :school
\set credit :payable0 + :school
-- the token with its user, as the service looks it up by its hash (here the draft's school's token)
SELECT a.id, a.expires_at, a.revoked_at, a.last_used_at, a0.id, a0.user_name, a0.display_name, a0.role, a0.programme_id, a0.area_id, a0.school_id, a0.disabled_at, a0.lockout_end
  FROM api_token AS a INNER JOIN app_user AS a0 ON a.user_id = a0.id
 WHERE a.token_hash = (SELECT token_hash FROM api_token WHERE user_id = :actor LIMIT 1)
 LIMIT 2;
\startpipeline
BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED;
SELECT c.id, c.created_at, c.created_by, c.decided_at, c.decided_by, c.description, c.first_approved_by, c.payment_run_id, c.period_id, c.programme_id, c.programme_year_id, c.reason, c.school_id, c.state, c.submitted_at, c.submitted_by, c.updated_at, c.xmin, s.id, s.area_id, s.created_at, s.local_authority, s.name, s.payee_reference, s.phase, s.programme_id, s.urn, p.id, p.area_kind, p.code, p.created_at, p.currency, p.funder, p.name, p.second_approval_threshold_pence, pe.id, pe.closed_at, pe.closed_by, pe.code, pe.ends_on, pe.name, pe.programme_year_id, pe.starts_on, y.id, y.closed_at, y.code, y.created_at, y.ends_on, y.programme_id, y.starts_on
  FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id
 WHERE c.id = :id FOR UPDATE OF c;
SELECT l.id, l.action_id, l.activity, l.allowance_category_id, l.amount_pence, l.category_id, l.claim_id, l.description, l.invoice_ref, l.kind, l.line_no, l.minutes, l.money_hold_id, l.rate_basis, l.rate_id, l.rate_pence, l.sanction_reason, l.sanctioned_pence, l.staff_ref, l.staff_role, l.supplier, l.time_hold_id, l.work_date
  FROM claim_line l WHERE l.claim_id = :id ORDER BY l.line_no;
SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = :id ORDER BY id;
SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = :id ORDER BY id;
SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id WHERE c.id = :id;
SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id WHERE c.id = :id AND p.state = 'agreed');
SELECT nextval('journal_entry_id_seq'), ARRAY(SELECT nextval('transfer_id_seq') FROM generate_series(1, (SELECT 2 * count(*) FROM claim_line WHERE claim_id = :id)));
\endpipeline
-- the hold is the first of the line's two reserved transfer ids
\startpipeline
INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
VALUES (:id, 'submit', 'draft', 'submitted', :actor, 'school_business_manager', NULL, currval('journal_entry_id_seq'), '{"total": "1.00", "sanctions": null}') RETURNING occurred_at;
UPDATE claim SET state = 'submitted', updated_at = now(), submitted_by = :actor, submitted_at = now(), first_approved_by = NULL, decided_by = NULL,
                 decided_at = NULL, reason = NULL
 WHERE id = :id RETURNING xmin;
UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
  FROM unnest(ARRAY(SELECT id FROM claim_line WHERE claim_id = :id), ARRAY[currval('transfer_id_seq') - 1], ARRAY[NULL::bigint], ARRAY[NULL::bigint], ARRAY[NULL::text]) AS u(id, money, time, sanctioned, reason)
 WHERE l.id = u.id AND l.claim_id = :id
RETURNING l.id;
INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
VALUES (:actor, 'sbm', 'school_business_manager', 'claim.submit', 'claim', :id, :programme, '{"to": "submitted", "from": "draft", "details": {"total": "1.00"}}', '127.0.0.1') RETURNING id;
-- the entry as Journal.Entries sends a transition's entries (here one), each on its reserved ids
WITH entry AS (
    INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    OVERRIDING SYSTEM VALUE
    SELECT * FROM unnest(ARRAY[currval('journal_entry_id_seq')], ARRAY[:programme::bigint], ARRAY[:valuedate::date],
                         ARRAY['Claim submitted: bench school'], ARRAY[:actor::bigint], ARRAY['claim'], ARRAY[:id::bigint], ARRAY[NULL::bigint])
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM unnest(ARRAY[currval('journal_entry_id_seq')], ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint],
              ARRAY(SELECT amount_pence FROM claim_line WHERE claim_id = :id), ARRAY['pending']::text[], ARRAY[NULL::bigint],
              ARRAY[currval('transfer_id_seq') - 1])
       WITH ORDINALITY AS t(entry_id, unit, debit, credit, amount, kind, pending_id, id, n)
  JOIN entry ON entry.id = t.entry_id
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
COMMIT;
\endpipeline
