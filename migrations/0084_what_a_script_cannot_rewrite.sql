-- What a careless script with plain DML could rewrite around the ledger, found by a review acting as one (7 December):
-- the journal, the transfers, the audit trail and the claims' lifecycle held, but a payment run and its payees, a closed
-- half-term's or year's dates, a school's programme and the fundings, allocations and virements behind entries did not.
-- Each rule below is the service's already; PostgreSQL now holds it for a script or a second service too.

-- A payment run moves only forward along its lifecycle (Core/Workflow/PaymentRunWorkflow.cs): built, approved, exported,
-- paid; built or approved to cancelled. An exported run had been set back to approved, or to cancelled, its file gone to
-- the bank. And it is exported only as it was built: each payee paid what the run's claims of that school approved, and
-- no school besides. A run inserted by hand with no claims was exported by the service, £5,000,000 to one school.
CREATE FUNCTION payment_run_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state || '>' || NEW.state NOT IN ('built>approved', 'approved>exported', 'exported>paid', 'built>cancelled', 'approved>cancelled') THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment run %s is %s: it cannot become %s', OLD.id, OLD.state, NEW.state);
    END IF;
    IF NEW.state = 'exported' AND EXISTS (
        WITH owed AS (
            -- what each school's claims in the run approved, as the run was built (Payments/PaymentRuns.cs, Owed)
            SELECT c.school_id, sum(COALESCE(l.sanctioned_pence, l.amount_pence)) AS pence
              FROM claim c
              JOIN claim_line l ON l.claim_id = c.id AND l.category_id IS NOT NULL AND l.money_hold_id IS NOT NULL
             WHERE c.payment_run_id = NEW.id AND c.state = 'in-payment-run'
             GROUP BY c.school_id),
        paid AS (SELECT school_id, amount_pence AS pence FROM payment_run_payee WHERE payment_run_id = NEW.id)
        SELECT 1 FROM owed FULL JOIN paid USING (school_id) WHERE owed.pence IS DISTINCT FROM paid.pence) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment run %s does not pay what its claims approved, school by school: it cannot be exported', OLD.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_moves_forward BEFORE UPDATE OF state ON payment_run
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION payment_run_moves_forward();

-- A payee is a school of the run's programme, and its run, school and remittance reference never change: an exported
-- run's payee had been pointed at another school, and a paid one's reference rewritten.
CREATE FUNCTION payment_run_payee_fits_its_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.payment_run_id, NEW.school_id, NEW.remittance_reference)
                            IS DISTINCT FROM (OLD.payment_run_id, OLD.school_id, OLD.remittance_reference) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('payment %s pays school %s in run %s: that never changes', OLD.remittance_reference, OLD.school_id, OLD.payment_run_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM payment_run r JOIN school s ON s.programme_id = r.programme_id
                    WHERE r.id = NEW.payment_run_id AND s.id = NEW.school_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002',
            MESSAGE = format('school %s is not a school of payment run %s''s programme', NEW.school_id, NEW.payment_run_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_payee_fits_its_run BEFORE INSERT OR UPDATE OF payment_run_id, school_id, remittance_reference ON payment_run_payee
    FOR EACH ROW EXECUTE FUNCTION payment_run_payee_fits_its_run();

-- A closed half-term or year keeps its dates: with its end moved earlier, an entry dated in it was no longer refused.
CREATE FUNCTION closed_keeps_its_dates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL003',
        MESSAGE = format('%s %s is closed: its dates stay %s to %s', TG_TABLE_NAME, OLD.id, OLD.starts_on, OLD.ends_on);
END $$;
CREATE TRIGGER period_closed_keeps_its_dates BEFORE UPDATE OF starts_on, ends_on ON period FOR EACH ROW
    WHEN (OLD.closed_at IS NOT NULL AND (NEW.starts_on, NEW.ends_on) IS DISTINCT FROM (OLD.starts_on, OLD.ends_on))
    EXECUTE FUNCTION closed_keeps_its_dates();
CREATE TRIGGER programme_year_closed_keeps_its_dates BEFORE UPDATE OF starts_on, ends_on ON programme_year FOR EACH ROW
    WHEN (OLD.closed_at IS NOT NULL AND (NEW.starts_on, NEW.ends_on) IS DISTINCT FROM (OLD.starts_on, OLD.ends_on))
    EXECUTE FUNCTION closed_keeps_its_dates();

-- A school stays in its programme: moved, it took its accounts, claims and allocations of the other programme with it.
CREATE FUNCTION school_stays_in_its_programme() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL002',
        MESSAGE = format('school %s is a school of programme %s: it stays one', OLD.id, OLD.programme_id);
END $$;
CREATE TRIGGER school_stays_in_its_programme BEFORE UPDATE OF programme_id ON school FOR EACH ROW
    WHEN (OLD.programme_id IS DISTINCT FROM NEW.programme_id) EXECUTE FUNCTION school_stays_in_its_programme();

-- A funding, allocation or virement is the record its journal entry names as its cause: kept as written, as the entry is
-- (corrected by a reversing entry, never edited). One had been edited and another deleted, the entries naming them still.
CREATE TRIGGER funding_immutable BEFORE UPDATE OR DELETE ON funding FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER funding_no_truncate BEFORE TRUNCATE ON funding FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER allocation_immutable BEFORE UPDATE OR DELETE ON allocation FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER allocation_no_truncate BEFORE TRUNCATE ON allocation FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER virement_immutable BEFORE UPDATE OR DELETE ON virement FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER virement_no_truncate BEFORE TRUNCATE ON virement FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- A transfer moves at most what any amount can be, £10,000,000,000.00 or as many minutes (Core/Money/Hundredths.Most), as
-- a claim line's amount is (0062): one of 9,000,000,000,000,000,000 pence had been posted, its account near a bigint's
-- end. NOT VALID, then validated if no row breaks it (as 0074's).
ALTER TABLE transfer ADD CONSTRAINT transfer_amount_at_most CHECK (amount <= 1000000000000) NOT VALID;
DO $$
BEGIN
    ALTER TABLE transfer VALIDATE CONSTRAINT transfer_amount_at_most;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'transfer_amount_at_most stays NOT VALID: transfers written before migration 0084 move more than 1,000,000,000,000';
END $$;
