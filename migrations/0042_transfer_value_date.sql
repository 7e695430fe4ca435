-- Transfers by programme and value date. The reconciliation export takes balances as of a date as
-- the stored balances less what was dated after it (few rows when the date is recent), and lists
-- the journal in value-date order: both read a programme's transfers by date, which the account
-- indexes cannot serve (at national scale, 1.8 million transfers were scanned three times).
CREATE INDEX transfer_programme_value_date ON transfer (programme_id, value_date, entry_id, id);
