-- The posting benchmark's raw-SQL side: the same transfer the service posts (one journal entry,
-- one transfer, school s's staff-cover available -> payable), as the very statement Journal.PostAsync
-- sends, with the same parameters. Run by `GrantLedger.Bench posting` with -M prepared and
-- -D programme=, valuedate=, schools=, available0=, payable0=.
\set s random(1, :schools)
\set amount random(1, 5000)
\set debit :available0 + :s
\set credit :payable0 + :s
WITH entry AS (
    INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    VALUES (:programme::bigint, :valuedate::date, 'bench transfer', NULL::bigint, 'claim', NULL::bigint, NULL::bigint)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
SELECT entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP']::text[], ARRAY[:debit::bigint], ARRAY[:credit::bigint], ARRAY[:amount::bigint],
                     ARRAY['posted']::text[], ARRAY[NULL::bigint])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
