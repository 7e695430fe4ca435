-- The bulk benchmark's ceiling: 10 transfers per commit, in the statement shape the service uses
-- for every journal entry (Journal.PostAsync: one entry and all its transfers in one statement,
-- arrays unnested), here as an allocation would post them: the year's unallocated account → 10
-- random schools' category 'available' accounts. Run by `GrantLedger.Bench bulk` with -M prepared
-- and -D programme=, valuedate=, unallocated=, first=, last= (the range of available accounts' ids).
\set c1 random(:first, :last)
\set m1 random(1, 500000)
\set c2 random(:first, :last)
\set m2 random(1, 500000)
\set c3 random(:first, :last)
\set m3 random(1, 500000)
\set c4 random(:first, :last)
\set m4 random(1, 500000)
\set c5 random(:first, :last)
\set m5 random(1, 500000)
\set c6 random(:first, :last)
\set m6 random(1, 500000)
\set c7 random(:first, :last)
\set m7 random(1, 500000)
\set c8 random(:first, :last)
\set m8 random(1, 500000)
\set c9 random(:first, :last)
\set m9 random(1, 500000)
\set c10 random(:first, :last)
\set m10 random(1, 500000)
WITH entry AS (
    INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
    VALUES (:programme::bigint, :valuedate::date, 'bench allocation', NULL::bigint, 'allocation', NULL::bigint, NULL::bigint)
    RETURNING id, programme_id, value_date, recorded_at
)
INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                      value_date, recorded_at)
SELECT entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
       entry.value_date, entry.recorded_at
  FROM entry, unnest(ARRAY['GBP', 'GBP', 'GBP', 'GBP', 'GBP', 'GBP', 'GBP', 'GBP', 'GBP', 'GBP']::text[],
                     ARRAY[:unallocated, :unallocated, :unallocated, :unallocated, :unallocated, :unallocated, :unallocated, :unallocated, :unallocated, :unallocated]::bigint[],
                     ARRAY[:c1, :c2, :c3, :c4, :c5, :c6, :c7, :c8, :c9, :c10]::bigint[],
                     ARRAY[:m1, :m2, :m3, :m4, :m5, :m6, :m7, :m8, :m9, :m10]::bigint[],
                     ARRAY['posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted']::text[],
                     ARRAY[NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]::bigint[])
       WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, n)
 ORDER BY t.n
RETURNING entry_id, id, recorded_at;
