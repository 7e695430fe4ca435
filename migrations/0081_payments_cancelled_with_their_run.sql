-- A cancelled run's payments are cancelled with it. A run is cancelled only before its file is exported, so none of its
-- payments was sent; until now each kept the status 'pending' ("sent, not yet confirmed") for ever, and the run's page, its
-- API answer, its CSV and the exports' payment runs listed money that will never be paid beside what is still owed (the same
-- claims go back to approved and a later run pays them). PostgreSQL cancels them when the run is cancelled, whoever cancels
-- it, and a payment is cancelled only with its run.
ALTER TABLE payment_run_payee DROP CONSTRAINT payment_run_payee_status_check;
ALTER TABLE payment_run_payee ADD CONSTRAINT payment_run_payee_status_check
    CHECK (status IN ('pending', 'paid', 'failed', 'cancelled'));
ALTER TABLE payment_run_payee DROP CONSTRAINT payment_run_payee_check;
ALTER TABLE payment_run_payee ADD CONSTRAINT payment_run_payee_confirmed_when_paid_or_failed
    CHECK ((status IN ('pending', 'cancelled')) = (confirmed_at IS NULL));

-- A confirmed payment stays confirmed, a cancelled one cancelled; a payment is cancelled only when its run is.
CREATE OR REPLACE FUNCTION payment_run_payee_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is kept: DELETE is refused', OLD.remittance_reference);
    END IF;
    IF OLD.status <> 'pending'
       AND (NEW.status, NEW.amount_pence, NEW.paid_on) IS DISTINCT FROM (OLD.status, OLD.amount_pence, OLD.paid_on) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is %s %s: it stays so', OLD.remittance_reference,
            CASE WHEN OLD.status = 'cancelled' THEN 'already' ELSE 'confirmed' END, OLD.status);
    END IF;
    IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled'
       AND NOT EXISTS (SELECT 1 FROM payment_run r WHERE r.id = NEW.payment_run_id AND r.state = 'cancelled') THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is cancelled only with its run', OLD.remittance_reference);
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION payment_run_cancels_its_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE payment_run_payee SET status = 'cancelled' WHERE payment_run_id = NEW.id AND status = 'pending';
    RETURN NULL;
END $$;
CREATE TRIGGER payment_run_cancels_its_payments AFTER UPDATE OF state ON payment_run
    FOR EACH ROW WHEN (NEW.state = 'cancelled' AND OLD.state <> 'cancelled')
    EXECUTE FUNCTION payment_run_cancels_its_payments();

-- the runs cancelled before this migration
UPDATE payment_run_payee p SET status = 'cancelled'
  FROM payment_run r
 WHERE r.id = p.payment_run_id AND r.state = 'cancelled' AND p.status = 'pending';
