-- The payees updated are summed without joining the statement's rows before to its rows after. Migration 0078 joined
-- the two transition tables by id to leave out the payees whose run, amount and status stayed the same: confirming a
-- national run's 24,000 payments took 57–62 s in that UPDATE in most rounds of the bench, 8–10 s in the others, which
-- fits a join planned once for a few rows and kept (docs/benchmarks.md). Now what the rows
-- are after is added and what they were is taken away, by run, in one pass over each; a payee that did not change adds
-- and takes the same, and a run whose totals come to no change is not written (a payee's reference written at export
-- still writes no total).
CREATE OR REPLACE FUNCTION payment_run_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
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
                  FROM (SELECT n.payment_run_id, 1 AS sign, n.amount_pence, n.status FROM payees_now n
                        UNION ALL
                        SELECT b.payment_run_id, -1, b.amount_pence, b.status FROM payees_before b) c
                 GROUP BY c.payment_run_id) d
         WHERE t.payment_run_id = d.payment_run_id
           AND (d.payee_count, d.total_pence, d.paid_count, d.paid_pence, d.failed_count, d.failed_pence) IS DISTINCT FROM (0, 0, 0, 0, 0, 0);
    END IF;
    RETURN NULL;
END $$;
