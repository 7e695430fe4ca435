-- payment_run_guard (0020) read OLD.status on payment_run rows too: PL/pgSQL does not short-circuit
-- `TG_TABLE_NAME = 'payment_run_payee' AND OLD.status …`, so approving or exporting a run failed with
-- 42703 (record "old" has no field "status"). The same rules, each read only on its own table.
CREATE OR REPLACE FUNCTION payment_run_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('%s rows are kept: DELETE is refused', TG_TABLE_NAME);
    END IF;
    IF TG_TABLE_NAME = 'payment_run' THEN
        IF OLD.file_sha256 IS NOT NULL
           AND (NEW.file, NEW.file_sha256, NEW.total_pence) IS DISTINCT FROM (OLD.file, OLD.file_sha256, OLD.total_pence) THEN
            RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment run %s was exported: its file never changes', OLD.id);
        END IF;
    ELSIF TG_TABLE_NAME = 'payment_run_payee' THEN
        IF OLD.status <> 'pending'
           AND (NEW.status, NEW.amount_pence, NEW.paid_on) IS DISTINCT FROM (OLD.status, OLD.amount_pence, OLD.paid_on) THEN
            RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is confirmed %s: it stays so', OLD.remittance_reference, OLD.status);
        END IF;
    END IF;
    RETURN NEW;
END $$;
