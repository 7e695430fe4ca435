-- At most one run of the ledger's checks waits (queued) per programme. A run that has not started yet reads the rows as
-- they are when it starts, so a second asked for meanwhile would report the same: the service answers it with the waiting
-- run (LedgerCheckRuns.RequestAsync), and a click repeated a hundred times queues one run, not a hundred of seconds each.
-- A run may still be asked for while one runs: it reads what was written since that one's snapshot.
CREATE UNIQUE INDEX ledger_check_run_one_waiting ON ledger_check_run (programme_id) WHERE state = 'queued';
