-- Claims: what a school asks to be paid for in one half-term (staff-time cover, TLR/admin,
-- action-plan spending, specialist support days), reviewed by its area lead. Every transition is
-- recorded in claim_transition, and moves the ledger by one journal entry (cause 'claim').

CREATE TABLE claim (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id        bigint NOT NULL REFERENCES programme(id),
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    period_id           bigint NOT NULL REFERENCES period(id),
    school_id           bigint NOT NULL REFERENCES school(id),
    state               text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'under-review',
                        'awaiting-second-approval', 'approved', 'rejected', 'withdrawn', 'in-payment-run', 'paid')),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    created_by          bigint NOT NULL REFERENCES app_user(id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- touched by every change to the claim or its lines and evidence, so that the row's xmin
    -- (the ETag) changes with them
    updated_at          timestamptz NOT NULL DEFAULT now(),
    submitted_by        bigint REFERENCES app_user(id),
    submitted_at        timestamptz,
    first_approved_by   bigint REFERENCES app_user(id),
    decided_by          bigint REFERENCES app_user(id),
    decided_at          timestamptz,
    -- why it was last returned or rejected: the school reads it
    reason              text CHECK (length(reason) <= 2000),
    payment_run_id      bigint,
    CHECK ((state = 'draft') OR submitted_by IS NOT NULL)
);
CREATE INDEX claim_school ON claim (school_id, state);
CREATE INDEX claim_programme_state ON claim (programme_id, state, submitted_at);

-- A line spends money from one budget category (priced by the rate card, or an invoice amount)
-- and/or staff time (minutes) from one time allowance. While the claim is held, the line's holds
-- are the pending transfers that reserve those amounts.
CREATE TABLE claim_line (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id                bigint NOT NULL REFERENCES claim(id),
    line_no                 integer NOT NULL CHECK (line_no > 0),
    kind                    text NOT NULL CHECK (kind IN ('staff-time', 'tlr', 'support-hours', 'action-plan', 'specialist-days')),
    category_id             bigint REFERENCES budget_category(id),
    amount_pence            bigint NOT NULL DEFAULT 0 CHECK (amount_pence >= 0),
    allowance_category_id   bigint REFERENCES budget_category(id),
    minutes                 bigint CHECK (minutes > 0),
    staff_ref               text CHECK (staff_ref ~ '^[A-Z]{1,10}-?[0-9]{1,6}$'),
    staff_role              text CHECK (staff_role IN ('leader', 'teacher', 'support-staff', 'specialist')),
    activity                text,
    work_date               date,
    rate_id                 bigint REFERENCES rate(id),
    rate_pence              bigint CHECK (rate_pence >= 0),
    rate_basis              text CHECK (rate_basis IN ('day', 'hour', 'period')),
    action_id               bigint REFERENCES action_plan_action(id),
    supplier                text CHECK (length(supplier) <= 200),
    invoice_ref             text CHECK (length(invoice_ref) <= 100),
    description             text CHECK (length(description) <= 500),
    sanctioned_pence        bigint CHECK (sanctioned_pence >= 0),
    sanction_reason         text CHECK (length(sanction_reason) <= 1000),
    money_hold_id           bigint REFERENCES transfer(id),
    time_hold_id            bigint REFERENCES transfer(id),
    UNIQUE (claim_id, line_no),
    CHECK (category_id IS NOT NULL OR allowance_category_id IS NOT NULL),
    CHECK (allowance_category_id IS NULL OR minutes IS NOT NULL),
    CHECK (sanctioned_pence IS NULL OR sanctioned_pence <= amount_pence),
    CHECK (sanctioned_pence IS NULL OR sanctioned_pence = amount_pence OR sanction_reason IS NOT NULL)
);
CREATE INDEX claim_line_claim ON claim_line (claim_id);
CREATE INDEX claim_line_action ON claim_line (action_id) WHERE action_id IS NOT NULL;

-- Evidence files (PDF, PNG, JPEG; at most 10 MB; type read from the content) with their SHA-256,
-- so that the same file on another claim can be flagged to the reviewer.
CREATE TABLE evidence (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id        bigint NOT NULL REFERENCES claim(id),
    claim_line_id   bigint REFERENCES claim_line(id),
    file_name       text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type    text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    content         bytea NOT NULL,
    uploaded_by     bigint NOT NULL REFERENCES app_user(id),
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (length(content) = size_bytes)
);
CREATE INDEX evidence_claim ON evidence (claim_id);
CREATE INDEX evidence_sha256 ON evidence (sha256);

-- The claim's history: every transition, who made it and why, and the journal entry it posted.
CREATE TABLE claim_transition (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id        bigint NOT NULL REFERENCES claim(id),
    trigger         text NOT NULL,
    from_state      text NOT NULL,
    to_state        text NOT NULL,
    actor_id        bigint NOT NULL REFERENCES app_user(id),
    actor_role      text NOT NULL,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    reason          text,
    entry_id        bigint REFERENCES journal_entry(id),
    details         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX claim_transition_claim ON claim_transition (claim_id, id);
CREATE TRIGGER claim_transition_immutable BEFORE UPDATE OR DELETE ON claim_transition
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER claim_transition_no_truncate BEFORE TRUNCATE ON claim_transition
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- No staff reference may be claimed for more than a full day (450 minutes) on one date across
-- all the programme's claims that are submitted or further on. Booked on submit, released when a
-- claim is returned, rejected or withdrawn; the CHECK holds against concurrent submissions.
CREATE TABLE staff_day (
    programme_id    bigint NOT NULL REFERENCES programme(id),
    staff_ref       text NOT NULL,
    work_date       date NOT NULL,
    minutes         integer NOT NULL,
    PRIMARY KEY (programme_id, staff_ref, work_date),
    CONSTRAINT staff_day_within_a_day CHECK (minutes BETWEEN 0 AND 450)
);

-- A submitted claim's lines and evidence change only through the workflow (sanctions and holds),
-- never by editing: the database refuses other changes once the claim has left draft.
CREATE FUNCTION claim_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim_state text;
BEGIN
    SELECT state INTO claim_state FROM claim WHERE id = COALESCE(NEW.claim_id, OLD.claim_id);
    IF claim_state <> 'draft' THEN
        IF TG_OP = 'UPDATE'
           AND (NEW.kind, NEW.category_id, NEW.amount_pence, NEW.allowance_category_id, NEW.minutes, NEW.staff_ref,
                NEW.work_date, NEW.rate_id, NEW.action_id, NEW.claim_id, NEW.line_no)
               IS NOT DISTINCT FROM
               (OLD.kind, OLD.category_id, OLD.amount_pence, OLD.allowance_category_id, OLD.minutes, OLD.staff_ref,
                OLD.work_date, OLD.rate_id, OLD.action_id, OLD.claim_id, OLD.line_no) THEN
            RETURN NEW; -- sanctions and holds, set by review
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'GL007',
            MESSAGE = format('claim %s is %s: its lines change only through the workflow', COALESCE(NEW.claim_id, OLD.claim_id), claim_state);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;

CREATE TRIGGER claim_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON claim_line
    FOR EACH ROW EXECUTE FUNCTION claim_line_frozen();

CREATE FUNCTION evidence_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim_state text;
BEGIN
    SELECT state INTO claim_state FROM claim WHERE id = COALESCE(NEW.claim_id, OLD.claim_id);
    IF claim_state <> 'draft' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL007',
            MESSAGE = format('claim %s is %s: its evidence can no longer change', COALESCE(NEW.claim_id, OLD.claim_id), claim_state);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;

CREATE TRIGGER evidence_frozen BEFORE INSERT OR UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_frozen();
