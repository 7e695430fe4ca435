-- Payment runs: funder finance builds a run from approved claims, a second finance user approves
-- it (maker-checker, enforced here too), it is exported as the payment file, and payment
-- confirmations mark each payee paid (or failed). Period and year closing.

CREATE TABLE payment_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    state           text NOT NULL DEFAULT 'built' CHECK (state IN ('built', 'approved', 'exported', 'paid', 'cancelled')),
    -- what the run was built from: approved claims of the programme (of one area, of one period) decided on or before as_of
    area_id         bigint REFERENCES area(id),
    period_id       bigint REFERENCES period(id),
    as_of           date NOT NULL,
    total_pence     bigint NOT NULL CHECK (total_pence > 0),
    payee_count     integer NOT NULL CHECK (payee_count > 0),
    claim_count     integer NOT NULL CHECK (claim_count > 0),
    built_by        bigint NOT NULL REFERENCES app_user(id),
    built_at        timestamptz NOT NULL DEFAULT now(),
    approved_by     bigint REFERENCES app_user(id),
    approved_at     timestamptz,
    exported_by     bigint REFERENCES app_user(id),
    exported_at     timestamptz,
    -- the payment file as it left, byte for byte, and its SHA-256
    file            bytea,
    file_sha256     bytea,
    paid_at         timestamptz,
    cancelled_by    bigint REFERENCES app_user(id),
    cancelled_at    timestamptz,
    cancel_reason   text CHECK (length(cancel_reason) <= 1000),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_run_maker_checker CHECK (approved_by IS NULL OR approved_by <> built_by),
    CHECK (state IN ('built', 'cancelled') OR approved_by IS NOT NULL),
    CHECK (state NOT IN ('exported', 'paid') OR file_sha256 IS NOT NULL)
);
CREATE INDEX payment_run_programme ON payment_run (programme_id, id);

-- One line of the payment file: what one school is paid, with the remittance reference that
-- names the run, the school and the claims it pays.
CREATE TABLE payment_run_payee (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_run_id          bigint NOT NULL REFERENCES payment_run(id),
    school_id               bigint NOT NULL REFERENCES school(id),
    amount_pence            bigint NOT NULL CHECK (amount_pence > 0),
    remittance_reference    text NOT NULL UNIQUE CHECK (length(remittance_reference) BETWEEN 1 AND 200),
    status                  text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
    paid_on                 date,
    confirmed_at            timestamptz,
    confirmation_id         bigint,
    UNIQUE (payment_run_id, school_id),
    CHECK ((status = 'pending') = (confirmed_at IS NULL))
);

-- Each confirmations file imported, with what it matched and what it refused.
CREATE TABLE payment_confirmation_import (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    file_name       text NOT NULL,
    file_sha256     bytea NOT NULL,
    imported_by     bigint NOT NULL REFERENCES app_user(id),
    imported_at     timestamptz NOT NULL DEFAULT now(),
    paid            integer NOT NULL,
    failed          integer NOT NULL,
    unchanged       integer NOT NULL,
    mismatched      integer NOT NULL,
    report          jsonb NOT NULL
);
ALTER TABLE payment_run_payee ADD FOREIGN KEY (confirmation_id) REFERENCES payment_confirmation_import(id);
CREATE TRIGGER payment_confirmation_import_immutable BEFORE UPDATE OR DELETE ON payment_confirmation_import
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

ALTER TABLE claim ADD CONSTRAINT claim_payment_run FOREIGN KEY (payment_run_id) REFERENCES payment_run(id);
ALTER TABLE claim ADD CONSTRAINT claim_in_run CHECK ((state = 'in-payment-run') <= (payment_run_id IS NOT NULL));

-- A confirmed payment stays confirmed; a payment file, once exported, never changes.
CREATE FUNCTION payment_run_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment run %s is kept: DELETE is refused', OLD.id);
    END IF;
    IF OLD.file_sha256 IS NOT NULL
       AND (NEW.file, NEW.file_sha256, NEW.total_pence) IS DISTINCT FROM (OLD.file, OLD.file_sha256, OLD.total_pence) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment run %s was exported: its file never changes', OLD.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_guard BEFORE UPDATE OR DELETE ON payment_run FOR EACH ROW EXECUTE FUNCTION payment_run_guard();

CREATE FUNCTION payment_run_payee_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is kept: DELETE is refused', OLD.remittance_reference);
    END IF;
    IF OLD.status <> 'pending'
       AND (NEW.status, NEW.amount_pence, NEW.paid_on) IS DISTINCT FROM (OLD.status, OLD.amount_pence, OLD.paid_on) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = format('payment %s is confirmed %s: it stays so', OLD.remittance_reference, OLD.status);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_run_payee_guard BEFORE UPDATE OR DELETE ON payment_run_payee FOR EACH ROW EXECUTE FUNCTION payment_run_payee_guard();

-- Closing: who closed a year, and how its unspent allocation was treated, per category.
ALTER TABLE programme_year ADD COLUMN closed_by bigint REFERENCES app_user(id);
ALTER TABLE period ADD FOREIGN KEY (closed_by) REFERENCES app_user(id);

CREATE TABLE year_end_rule (
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    category_id         bigint NOT NULL REFERENCES budget_category(id),
    treatment           text NOT NULL CHECK (treatment IN ('lapse', 'carry-forward')),
    next_year_id        bigint REFERENCES programme_year(id),
    entry_id            bigint REFERENCES journal_entry(id),
    PRIMARY KEY (programme_year_id, category_id),
    CHECK ((treatment = 'carry-forward') = (next_year_id IS NOT NULL))
);

-- Once closed, a period or year stays closed.
CREATE FUNCTION closed_stays_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.closed_at IS NOT NULL AND NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        RAISE EXCEPTION USING ERRCODE = 'GL003', MESSAGE = format('%s %s is closed and stays closed', TG_TABLE_NAME, OLD.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER period_closed_stays_closed BEFORE UPDATE ON period FOR EACH ROW EXECUTE FUNCTION closed_stays_closed();
CREATE TRIGGER programme_year_closed_stays_closed BEFORE UPDATE ON programme_year FOR EACH ROW EXECUTE FUNCTION closed_stays_closed();

-- The year-end entry is dated the year's last day, which usually lies in a period already closed:
-- only it may post there, and only until the year itself is closed (in the same transaction).
CREATE OR REPLACE FUNCTION journal_entry_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed record;
BEGIN
    SELECT y.code AS year_code, p.name AS period_name, p.starts_on, p.ends_on,
           (y.closed_at IS NOT NULL) AS year_closed
      INTO closed
      FROM programme_year y
      LEFT JOIN period p ON p.programme_year_id = y.id AND NEW.value_date BETWEEN p.starts_on AND p.ends_on
     WHERE y.programme_id = NEW.programme_id
       AND NEW.value_date BETWEEN y.starts_on AND y.ends_on
       AND (y.closed_at IS NOT NULL OR (p.closed_at IS NOT NULL AND NEW.cause_type <> 'year_end'))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'GL003',
            MESSAGE = CASE WHEN closed.year_closed
                THEN format('the year %s is closed: nothing can be posted dated %s', closed.year_code, NEW.value_date)
                ELSE format('the period %s %s (%s to %s) is closed: nothing can be posted dated %s',
                            closed.period_name, closed.year_code, closed.starts_on, closed.ends_on, NEW.value_date) END,
            DETAIL = json_build_object('valueDate', NEW.value_date, 'year', closed.year_code, 'period', closed.period_name)::text;
    END IF;
    RETURN NEW;
END $$;

-- The claims a run took, found from their history (a claim whose payment failed leaves the run).
CREATE INDEX claim_transition_payment_run ON claim_transition (((details->>'paymentRunId')::bigint))
    WHERE trigger = 'add-to-payment-run';
