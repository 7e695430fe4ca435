-- Two of journal_entry's six indexes cost every entry an index entry, and a national ledger tens of megabytes, for
-- nothing (docs/performance.md, section 21: pg_waldump of a claim's submission):
--
-- * UNIQUE (id, programme_id, value_date, recorded_at) was the target of the transfers' foreign key to their entry,
--   which migration 0044 replaced with ledger_apply_transfers' own check of the same columns. Nothing references it
--   since; id is the primary key, so the four columns together are unique without it, and the trigger's check looks
--   the entry up by id;
-- * UNIQUE (reverses_entry_id) held a NULL for every entry that is not a reversal (all but a few). "An entry is
--   reversed once" is the same rule with the index on reversals only; it keeps its name, so that a second reversal is
--   still refused as journal_entry_reverses_entry_id_key (Journal: 409 already-reversed).
--
-- What the database refuses is unchanged.

ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_id_programme_id_value_date_recorded_at_key;

ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_reverses_entry_id_key;
CREATE UNIQUE INDEX journal_entry_reverses_entry_id_key ON journal_entry (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;
