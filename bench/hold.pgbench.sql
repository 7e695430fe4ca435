-- The hot-account benchmark's ceiling: every transaction holds money from ONE school's one
-- category account (limited: debits within credits), as a claim's submission does — one journal
-- entry of one pending transfer available -> payable, the very statement Journal.PostAsync sends.
-- Run by `GrantLedger.Bench hot` with -M prepared and -D programme=, valuedate=, debit=, credit=
-- (that account has enough budget for the whole run: pgbench stops a client at its first error).
\set amount random(100, 50000)
WITH entry AS (
    INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    VALUES (:programme::bigint, :valuedate::date, 'bench hold', NULL::bigint, 'claim', NULL::bigint, NULL::bigint)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
SELECT entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY[:amount::bigint],
                     ARRAY['pending']::text[], ARRAY[NULL::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
