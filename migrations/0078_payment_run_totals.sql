-- What each payment run's payees add up to, kept by PostgreSQL as they are written, and held to the run's own figures.
--
-- 1. Finance's list of runs (/finance and GET .../payment-runs) showed each run's paid and failed totals by summing its
--    payees by status: at national scale 197,390 payees, 53–61 ms a page, and growing with every run. The run's page summed
--    its payees again (24,000 in a national run). Both now read one row a run (docs/performance-reads.md, finance's reads).
-- 2. A run's total and its count of payees were written by the service beside its payees and never checked against them: a
--    script could leave a run whose payment file pays more than the run says, and finance would approve the smaller figure.
--    Now, at every commit, a run's total_pence and payee_count are what its payees add up to, or the transaction fails.
--
-- The totals are written only by the triggers on payment_run_payee (one statement for a run's 24,000 payees, not one each);
-- anything else writing them is refused.

CREATE TABLE payment_run_totals (
    payment_run_id  bigint PRIMARY KEY REFERENCES payment_run(id),
    payee_count     integer NOT NULL,
    total_pence     bigint NOT NULL,
    paid_count      integer NOT NULL,
    paid_pence      bigint NOT NULL,
    failed_count    integer NOT NULL,
    failed_pence    bigint NOT NULL,
    CHECK (0 <= paid_count AND 0 <= failed_count AND paid_count + failed_count <= payee_count),
    CHECK (0 <= paid_pence AND 0 <= failed_pence AND paid_pence + failed_pence <= total_pence)
);

-- Each statement's payees summed by run and added to the runs' totals: the payees inserted; or, of the payees updated,
-- what those whose run, amount or status changed are now less what they were (so a payee moved to another run leaves the
-- one and joins the other). A payee's reference written at export changes no total and writes none.
CREATE FUNCTION payment_run_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO payment_run_totals AS t
        SELECT d.payment_run_id, count(*), sum(d.amount_pence),
               count(*) FILTER (WHERE d.status = 'paid'), coalesce(sum(d.amount_pence) FILTER (WHERE d.status = 'paid'), 0),
               count(*) FILTER (WHERE d.status = 'failed'), coalesce(sum(d.amount_pence) FILTER (WHERE d.status = 'failed'), 0)
          FROM payees_now d
         GROUP BY d.payment_run_id
        ON CONFLICT (payment_run_id) DO UPDATE
           SET payee_count = t.payee_count + excluded.payee_count, total_pence = t.total_pence + excluded.total_pence,
               paid_count = t.paid_count + excluded.paid_count, paid_pence = t.paid_pence + excluded.paid_pence,
               failed_count = t.failed_count + excluded.failed_count, failed_pence = t.failed_pence + excluded.failed_pence;
    ELSE
        -- every run has its totals from its build (a run has payees, and is checked against them at commit)
        UPDATE payment_run_totals t
           SET payee_count = t.payee_count + d.payee_count, total_pence = t.total_pence + d.total_pence,
               paid_count = t.paid_count + d.paid_count, paid_pence = t.paid_pence + d.paid_pence,
               failed_count = t.failed_count + d.failed_count, failed_pence = t.failed_pence + d.failed_pence
          FROM (SELECT c.payment_run_id, sum(c.sign) AS payee_count, sum(c.sign * c.amount_pence) AS total_pence,
                       coalesce(sum(c.sign) FILTER (WHERE c.status = 'paid'), 0) AS paid_count,
                       coalesce(sum(c.sign * c.amount_pence) FILTER (WHERE c.status = 'paid'), 0) AS paid_pence,
                       coalesce(sum(c.sign) FILTER (WHERE c.status = 'failed'), 0) AS failed_count,
                       coalesce(sum(c.sign * c.amount_pence) FILTER (WHERE c.status = 'failed'), 0) AS failed_pence
                  FROM payees_now n JOIN payees_before b ON b.id = n.id
                 CROSS JOIN LATERAL (VALUES (n.payment_run_id, 1, n.amount_pence, n.status), (b.payment_run_id, -1, b.amount_pence, b.status))
                       AS c (payment_run_id, sign, amount_pence, status)
                 WHERE (n.payment_run_id, n.amount_pence, n.status) IS DISTINCT FROM (b.payment_run_id, b.amount_pence, b.status)
                 GROUP BY c.payment_run_id) d
         WHERE t.payment_run_id = d.payment_run_id;
    END IF;
    RETURN NULL;
END $$;

-- Runs built before this migration: their totals from their payees.
INSERT INTO payment_run_totals
SELECT payment_run_id, count(*), sum(amount_pence),
       count(*) FILTER (WHERE status = 'paid'), coalesce(sum(amount_pence) FILTER (WHERE status = 'paid'), 0),
       count(*) FILTER (WHERE status = 'failed'), coalesce(sum(amount_pence) FILTER (WHERE status = 'failed'), 0)
  FROM payment_run_payee
 GROUP BY payment_run_id;

-- A run whose figures are not its payees' already stops the migration, naming it: nothing chooses which is right for you.
DO $$
DECLARE
    differ text;
BEGIN
    SELECT string_agg(format('run %s says %s payees and %s pence, its payees are %s and %s pence', r.id, r.payee_count, r.total_pence,
                             coalesce(t.payee_count, 0), coalesce(t.total_pence, 0)), '; ' ORDER BY r.id)
      INTO differ
      FROM payment_run r LEFT JOIN payment_run_totals t ON t.payment_run_id = r.id
     WHERE (r.payee_count, r.total_pence) IS DISTINCT FROM (t.payee_count, t.total_pence);
    IF differ IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = 'payment runs whose total or count of payees is not what their payees add up to: ' || differ,
            HINT = 'Find which is right from the run''s payment file (kept on the run once exported) and correct the other; then start the service again.';
    END IF;
END $$;

CREATE TRIGGER payment_run_totals_on_insert AFTER INSERT ON payment_run_payee
    REFERENCING NEW TABLE AS payees_now FOR EACH STATEMENT EXECUTE FUNCTION payment_run_totals_add();
CREATE TRIGGER payment_run_totals_on_update AFTER UPDATE ON payment_run_payee
    REFERENCING OLD TABLE AS payees_before NEW TABLE AS payees_now FOR EACH STATEMENT EXECUTE FUNCTION payment_run_totals_add();

-- Only those triggers write the totals (they run one level down: pg_trigger_depth() 2 in this row's trigger).
CREATE FUNCTION payment_run_totals_written_by_payees() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment run %s''s totals are what its payees add up to: they are written only as its payees are',
                             coalesce(NEW.payment_run_id, OLD.payment_run_id));
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER payment_run_totals_written_by_payees BEFORE INSERT OR UPDATE OR DELETE ON payment_run_totals
    FOR EACH ROW EXECUTE FUNCTION payment_run_totals_written_by_payees();
CREATE TRIGGER payment_run_totals_no_truncate BEFORE TRUNCATE ON payment_run_totals
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- At commit, a run's total and count of payees are its payees'. Checked when the run is written (built, or its figures
-- changed) and when its payees' sum or count changes, not on every payee confirmed.
CREATE FUNCTION payment_run_matches_its_payees() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    run_id bigint;
    run record;
BEGIN
    IF TG_TABLE_NAME = 'payment_run' THEN
        run_id := NEW.id;
    ELSE
        run_id := NEW.payment_run_id;
    END IF;
    SELECT r.id, r.payee_count, r.total_pence, coalesce(t.payee_count, 0) AS payees, coalesce(t.total_pence, 0) AS payees_pence
      INTO run
      FROM payment_run r LEFT JOIN payment_run_totals t ON t.payment_run_id = r.id
     WHERE r.id = run_id;
    IF (run.payee_count, run.total_pence) IS DISTINCT FROM (run.payees, run.payees_pence) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment run %s says %s payees and %s pence, but its payees are %s and %s pence: a run pays what it says',
                             run.id, run.payee_count, run.total_pence, run.payees, run.payees_pence);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER payment_run_matches_its_payees AFTER INSERT OR UPDATE OF payee_count, total_pence ON payment_run
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payment_run_matches_its_payees();
CREATE CONSTRAINT TRIGGER payment_run_payees_added AFTER INSERT ON payment_run_totals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payment_run_matches_its_payees();
CREATE CONSTRAINT TRIGGER payment_run_payees_changed AFTER UPDATE ON payment_run_totals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.payee_count, OLD.total_pence) IS DISTINCT FROM (NEW.payee_count, NEW.total_pence))
    EXECUTE FUNCTION payment_run_matches_its_payees();
