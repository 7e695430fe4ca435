-- Four claims' submissions in ONE transaction (an experiment, docs/performance.md section 14; not run by the bench):
-- what committing several of the service's submissions together would save PostgreSQL. Each claim gets exactly
-- the statements of bench/submission.pgbench.sql (its lock and reads, its staff day, history row, claim and line
-- updates, audit event and journal entry), in one transaction: first each claim's lock and reads, then every claim's
-- writes, then the four journal entries (the school's account is locked from the first of them to COMMIT, as a single
-- submission's is from its entry), then COMMIT. Ids are reserved with \gset (pgbench cannot keep a result inside a
-- pipeline), in a round trip of their own per claim. Run as bench/submission.pgbench.sql is (same -D variables):
-- client c submits the drafts first + c + (4(n-1) + k) * clients, k = 0..3, so with -D schools=1 and the bases moved
-- to one school, every transaction holds four claims on that school's one account. Made by repeating the blocks below
-- for each claim; the runs with two and eight claims per transaction were made the same way. Kept as section 14 ran
-- it: since section 19 the service sends a group's journal entries as one statement (Journal.Entries), not four; since
-- migration 0087 each claim's UPDATE books its staff day (its statement here is gone: a staff day is written by no other).
\set n :n + 1
\set id :first + :client_id + ((:n - 1) * 4) * :clients
\set school (:id - :first) % :schools + 1
\set actor :user0 + :school
\set debit :available0 + :school
\set credit :payable0 + :school
SELECT a.id, a.expires_at, a.revoked_at, a.last_used_at, a0.id, a0.user_name, a0.display_name, a0.role, a0.programme_id, a0.area_id, a0.school_id, a0.disabled_at, a0.lockout_end
  FROM api_token AS a INNER JOIN app_user AS a0 ON a.user_id = a0.id
 WHERE a.token_hash = (SELECT token_hash FROM api_token WHERE user_id = :actor LIMIT 1)
 LIMIT 2;
BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED;
\set id0 :first + :client_id + ((:n - 1) * 4 + 0) * :clients
\startpipeline
SELECT c.id, c.created_at, c.created_by, c.decided_at, c.decided_by, c.description, c.first_approved_by, c.payment_run_id, c.period_id, c.programme_id, c.programme_year_id, c.reason, c.school_id, c.state, c.submitted_at, c.submitted_by, c.updated_at, c.xmin, s.id, s.area_id, s.created_at, s.local_authority, s.name, s.payee_reference, s.phase, s.programme_id, s.urn, p.id, p.area_kind, p.code, p.created_at, p.currency, p.funder, p.name, p.second_approval_threshold_pence, pe.id, pe.closed_at, pe.closed_by, pe.code, pe.ends_on, pe.name, pe.programme_year_id, pe.starts_on, y.id, y.closed_at, y.code, y.created_at, y.ends_on, y.programme_id, y.starts_on
  FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id
 WHERE c.id = :id0 FOR UPDATE OF c;
SELECT l.id, l.action_id, l.activity, l.allowance_category_id, l.amount_pence, l.category_id, l.claim_id, l.description, l.invoice_ref, l.kind, l.line_no, l.minutes, l.money_hold_id, l.rate_basis, l.rate_id, l.rate_pence, l.sanction_reason, l.sanctioned_pence, l.staff_ref, l.staff_role, l.supplier, l.time_hold_id, l.work_date
  FROM claim_line l WHERE l.claim_id = :id0 ORDER BY l.line_no;
SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = :id0 ORDER BY id;
SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = :id0 ORDER BY id;
SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id WHERE c.id = :id0;
SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id WHERE c.id = :id0 AND p.state = 'agreed');
\endpipeline
SELECT nextval('journal_entry_id_seq') AS e0, (SELECT max(x) FROM (SELECT nextval('transfer_id_seq') AS x FROM generate_series(1, 2)) s) - 1 AS t0 \gset
\set id1 :first + :client_id + ((:n - 1) * 4 + 1) * :clients
\startpipeline
SELECT c.id, c.created_at, c.created_by, c.decided_at, c.decided_by, c.description, c.first_approved_by, c.payment_run_id, c.period_id, c.programme_id, c.programme_year_id, c.reason, c.school_id, c.state, c.submitted_at, c.submitted_by, c.updated_at, c.xmin, s.id, s.area_id, s.created_at, s.local_authority, s.name, s.payee_reference, s.phase, s.programme_id, s.urn, p.id, p.area_kind, p.code, p.created_at, p.currency, p.funder, p.name, p.second_approval_threshold_pence, pe.id, pe.closed_at, pe.closed_by, pe.code, pe.ends_on, pe.name, pe.programme_year_id, pe.starts_on, y.id, y.closed_at, y.code, y.created_at, y.ends_on, y.programme_id, y.starts_on
  FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id
 WHERE c.id = :id1 FOR UPDATE OF c;
SELECT l.id, l.action_id, l.activity, l.allowance_category_id, l.amount_pence, l.category_id, l.claim_id, l.description, l.invoice_ref, l.kind, l.line_no, l.minutes, l.money_hold_id, l.rate_basis, l.rate_id, l.rate_pence, l.sanction_reason, l.sanctioned_pence, l.staff_ref, l.staff_role, l.supplier, l.time_hold_id, l.work_date
  FROM claim_line l WHERE l.claim_id = :id1 ORDER BY l.line_no;
SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = :id1 ORDER BY id;
SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = :id1 ORDER BY id;
SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id WHERE c.id = :id1;
SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id WHERE c.id = :id1 AND p.state = 'agreed');
\endpipeline
SELECT nextval('journal_entry_id_seq') AS e1, (SELECT max(x) FROM (SELECT nextval('transfer_id_seq') AS x FROM generate_series(1, 2)) s) - 1 AS t1 \gset
\set id2 :first + :client_id + ((:n - 1) * 4 + 2) * :clients
\startpipeline
SELECT c.id, c.created_at, c.created_by, c.decided_at, c.decided_by, c.description, c.first_approved_by, c.payment_run_id, c.period_id, c.programme_id, c.programme_year_id, c.reason, c.school_id, c.state, c.submitted_at, c.submitted_by, c.updated_at, c.xmin, s.id, s.area_id, s.created_at, s.local_authority, s.name, s.payee_reference, s.phase, s.programme_id, s.urn, p.id, p.area_kind, p.code, p.created_at, p.currency, p.funder, p.name, p.second_approval_threshold_pence, pe.id, pe.closed_at, pe.closed_by, pe.code, pe.ends_on, pe.name, pe.programme_year_id, pe.starts_on, y.id, y.closed_at, y.code, y.created_at, y.ends_on, y.programme_id, y.starts_on
  FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id
 WHERE c.id = :id2 FOR UPDATE OF c;
SELECT l.id, l.action_id, l.activity, l.allowance_category_id, l.amount_pence, l.category_id, l.claim_id, l.description, l.invoice_ref, l.kind, l.line_no, l.minutes, l.money_hold_id, l.rate_basis, l.rate_id, l.rate_pence, l.sanction_reason, l.sanctioned_pence, l.staff_ref, l.staff_role, l.supplier, l.time_hold_id, l.work_date
  FROM claim_line l WHERE l.claim_id = :id2 ORDER BY l.line_no;
SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = :id2 ORDER BY id;
SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = :id2 ORDER BY id;
SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id WHERE c.id = :id2;
SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id WHERE c.id = :id2 AND p.state = 'agreed');
\endpipeline
SELECT nextval('journal_entry_id_seq') AS e2, (SELECT max(x) FROM (SELECT nextval('transfer_id_seq') AS x FROM generate_series(1, 2)) s) - 1 AS t2 \gset
\set id3 :first + :client_id + ((:n - 1) * 4 + 3) * :clients
\startpipeline
SELECT c.id, c.created_at, c.created_by, c.decided_at, c.decided_by, c.description, c.first_approved_by, c.payment_run_id, c.period_id, c.programme_id, c.programme_year_id, c.reason, c.school_id, c.state, c.submitted_at, c.submitted_by, c.updated_at, c.xmin, s.id, s.area_id, s.created_at, s.local_authority, s.name, s.payee_reference, s.phase, s.programme_id, s.urn, p.id, p.area_kind, p.code, p.created_at, p.currency, p.funder, p.name, p.second_approval_threshold_pence, pe.id, pe.closed_at, pe.closed_by, pe.code, pe.ends_on, pe.name, pe.programme_year_id, pe.starts_on, y.id, y.closed_at, y.code, y.created_at, y.ends_on, y.programme_id, y.starts_on
  FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id
 WHERE c.id = :id3 FOR UPDATE OF c;
SELECT l.id, l.action_id, l.activity, l.allowance_category_id, l.amount_pence, l.category_id, l.claim_id, l.description, l.invoice_ref, l.kind, l.line_no, l.minutes, l.money_hold_id, l.rate_basis, l.rate_id, l.rate_pence, l.sanction_reason, l.sanctioned_pence, l.staff_ref, l.staff_role, l.supplier, l.time_hold_id, l.work_date
  FROM claim_line l WHERE l.claim_id = :id3 ORDER BY l.line_no;
SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = :id3 ORDER BY id;
SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = :id3 ORDER BY id;
SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id WHERE c.id = :id3;
SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id WHERE c.id = :id3 AND p.state = 'agreed');
\endpipeline
SELECT nextval('journal_entry_id_seq') AS e3, (SELECT max(x) FROM (SELECT nextval('transfer_id_seq') AS x FROM generate_series(1, 2)) s) - 1 AS t3 \gset
\startpipeline
INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
VALUES (:id0, 'submit', 'draft', 'submitted', :actor, 'school_business_manager', NULL, :e0, '{"total": "1.00", "sanctions": null}') RETURNING occurred_at;
UPDATE claim SET state = 'submitted', updated_at = now(), submitted_by = :actor, submitted_at = now(), first_approved_by = NULL, decided_by = NULL,
                 decided_at = NULL, reason = NULL
 WHERE id = :id0 RETURNING xmin;
UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
  FROM unnest(ARRAY(SELECT id FROM claim_line WHERE claim_id = :id0), ARRAY[:t0::bigint], ARRAY[NULL::bigint], ARRAY[NULL::bigint], ARRAY[NULL::text]) AS u(id, money, time, sanctioned, reason)
 WHERE l.id = u.id AND l.claim_id = :id0
RETURNING l.id;
INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
VALUES (:actor, 'sbm', 'school_business_manager', 'claim.submit', 'claim', :id0, :programme, '{"to": "submitted", "from": "draft", "details": {"total": "1.00"}}', '127.0.0.1') RETURNING id;
INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
VALUES (:id1, 'submit', 'draft', 'submitted', :actor, 'school_business_manager', NULL, :e1, '{"total": "1.00", "sanctions": null}') RETURNING occurred_at;
UPDATE claim SET state = 'submitted', updated_at = now(), submitted_by = :actor, submitted_at = now(), first_approved_by = NULL, decided_by = NULL,
                 decided_at = NULL, reason = NULL
 WHERE id = :id1 RETURNING xmin;
UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
  FROM unnest(ARRAY(SELECT id FROM claim_line WHERE claim_id = :id1), ARRAY[:t1::bigint], ARRAY[NULL::bigint], ARRAY[NULL::bigint], ARRAY[NULL::text]) AS u(id, money, time, sanctioned, reason)
 WHERE l.id = u.id AND l.claim_id = :id1
RETURNING l.id;
INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
VALUES (:actor, 'sbm', 'school_business_manager', 'claim.submit', 'claim', :id1, :programme, '{"to": "submitted", "from": "draft", "details": {"total": "1.00"}}', '127.0.0.1') RETURNING id;
INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
VALUES (:id2, 'submit', 'draft', 'submitted', :actor, 'school_business_manager', NULL, :e2, '{"total": "1.00", "sanctions": null}') RETURNING occurred_at;
UPDATE claim SET state = 'submitted', updated_at = now(), submitted_by = :actor, submitted_at = now(), first_approved_by = NULL, decided_by = NULL,
                 decided_at = NULL, reason = NULL
 WHERE id = :id2 RETURNING xmin;
UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
  FROM unnest(ARRAY(SELECT id FROM claim_line WHERE claim_id = :id2), ARRAY[:t2::bigint], ARRAY[NULL::bigint], ARRAY[NULL::bigint], ARRAY[NULL::text]) AS u(id, money, time, sanctioned, reason)
 WHERE l.id = u.id AND l.claim_id = :id2
RETURNING l.id;
INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
VALUES (:actor, 'sbm', 'school_business_manager', 'claim.submit', 'claim', :id2, :programme, '{"to": "submitted", "from": "draft", "details": {"total": "1.00"}}', '127.0.0.1') RETURNING id;
INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
VALUES (:id3, 'submit', 'draft', 'submitted', :actor, 'school_business_manager', NULL, :e3, '{"total": "1.00", "sanctions": null}') RETURNING occurred_at;
UPDATE claim SET state = 'submitted', updated_at = now(), submitted_by = :actor, submitted_at = now(), first_approved_by = NULL, decided_by = NULL,
                 decided_at = NULL, reason = NULL
 WHERE id = :id3 RETURNING xmin;
UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
  FROM unnest(ARRAY(SELECT id FROM claim_line WHERE claim_id = :id3), ARRAY[:t3::bigint], ARRAY[NULL::bigint], ARRAY[NULL::bigint], ARRAY[NULL::text]) AS u(id, money, time, sanctioned, reason)
 WHERE l.id = u.id AND l.claim_id = :id3
RETURNING l.id;
INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
VALUES (:actor, 'sbm', 'school_business_manager', 'claim.submit', 'claim', :id3, :programme, '{"to": "submitted", "from": "draft", "details": {"total": "1.00"}}', '127.0.0.1') RETURNING id;
WITH entry AS (
    INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    OVERRIDING SYSTEM VALUE
    VALUES (:e0, :programme, :valuedate::date, 'Claim submitted: bench school', :actor, 'claim', :id0, NULL)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY(SELECT amount_pence FROM claim_line WHERE claim_id = :id0),
                     ARRAY['pending']::text[], ARRAY[NULL::bigint], ARRAY[:t0::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
WITH entry AS (
    INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    OVERRIDING SYSTEM VALUE
    VALUES (:e1, :programme, :valuedate::date, 'Claim submitted: bench school', :actor, 'claim', :id1, NULL)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY(SELECT amount_pence FROM claim_line WHERE claim_id = :id1),
                     ARRAY['pending']::text[], ARRAY[NULL::bigint], ARRAY[:t1::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
WITH entry AS (
    INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    OVERRIDING SYSTEM VALUE
    VALUES (:e2, :programme, :valuedate::date, 'Claim submitted: bench school', :actor, 'claim', :id2, NULL)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY(SELECT amount_pence FROM claim_line WHERE claim_id = :id2),
                     ARRAY['pending']::text[], ARRAY[NULL::bigint], ARRAY[:t2::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
WITH entry AS (
    INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    OVERRIDING SYSTEM VALUE
    VALUES (:e3, :programme, :valuedate::date, 'Claim submitted: bench school', :actor, 'claim', :id3, NULL)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY(SELECT amount_pence FROM claim_line WHERE claim_id = :id3),
                     ARRAY['pending']::text[], ARRAY[NULL::bigint], ARRAY[:t3::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
COMMIT;
\endpipeline
