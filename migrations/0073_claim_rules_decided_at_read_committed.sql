-- The rules PostgreSQL decides across claims are decided at READ COMMITTED only. Four triggers keep a rule between one
-- claim (or plan version) and the others the school has committed: a TLR once per half-term (claim_tlr_once, 0056 and
-- 0070), an invoice once for an action (claim_invoice_once, 0071), a claim's actions in the agreed plan and an agreed plan
-- keeping every claimed action (claim_actions_in_agreed_plan and plan_keeps_claimed_actions, 0072). Each takes an advisory
-- lock and then looks the others up, relying on READ COMMITTED's fresh snapshot for each statement to see what the
-- writer before it committed while it waited. Under REPEATABLE READ or SERIALIZABLE a statement reads the transaction's
-- first snapshot instead: a script that began its transaction, let the service submit a claim for a TLR, then submitted
-- another for the same TLR, found none and went through (reproduced by the tests of this migration, at both levels;
-- SERIALIZABLE's own checks watch only transactions that are SERIALIZABLE too, and the service's are not).
--
-- So a claim becomes submitted, and a plan version agreed, only at READ COMMITTED (PostgreSQL's default, and what the
-- service uses); at a stricter level the change is refused before anything is written, GL018, naming the level. The
-- check is the triggers' WHEN condition: the service's submissions pay for one setting read, and the function runs only
-- to refuse. A BEFORE trigger, so it comes before the rules' locks.

CREATE FUNCTION refuse_stricter_isolation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL018',
        MESSAGE = format('%s only at READ COMMITTED isolation, not %s: its checks against the school''s other claims must see '
                         'what was committed while this transaction ran (run the change in a transaction of its own at the default level)',
                         TG_ARGV[0], upper(current_setting('transaction_isolation'))),
        DETAIL = json_build_object('isolation', current_setting('transaction_isolation'))::text;
END $$;

CREATE TRIGGER claim_submitted_at_read_committed BEFORE UPDATE OF state ON claim
    FOR EACH ROW
    WHEN (NEW.state = 'submitted' AND OLD.state IS DISTINCT FROM NEW.state
          AND current_setting('transaction_isolation') <> 'read committed')
    EXECUTE FUNCTION refuse_stricter_isolation('a claim is submitted');

CREATE TRIGGER plan_agreed_at_read_committed BEFORE INSERT OR UPDATE OF state ON action_plan
    FOR EACH ROW
    WHEN (NEW.state = 'agreed' AND current_setting('transaction_isolation') <> 'read committed')
    EXECUTE FUNCTION refuse_stricter_isolation('an action plan version is agreed');
