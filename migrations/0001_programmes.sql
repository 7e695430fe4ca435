-- Programmes and their set-up: years split into half-term periods, areas (boroughs or ICBs),
-- schools and budget categories.

CREATE TABLE programme (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,29}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    funder          text NOT NULL CHECK (length(funder) BETWEEN 1 AND 200),
    currency        text NOT NULL DEFAULT 'GBP' CHECK (currency = 'GBP'),
    area_kind       text NOT NULL DEFAULT 'borough' CHECK (area_kind IN ('borough', 'icb')),
    -- claims at or above this amount need a second approval by the programme admin (issue 3)
    second_approval_threshold_pence bigint CHECK (second_approval_threshold_pence > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE programme_year (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    code            text NOT NULL CHECK (code ~ '^[0-9]{4}-[0-9]{2}$'),
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    closed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, code),
    CHECK (ends_on > starts_on)
);

-- Half-terms: Autumn 1 … Summer 2. Contiguous, non-overlapping, inside the year.
CREATE TABLE period (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_year_id   bigint NOT NULL REFERENCES programme_year(id),
    code                text NOT NULL CHECK (code IN ('aut1', 'aut2', 'spr1', 'spr2', 'sum1', 'sum2')),
    name                text NOT NULL,
    starts_on           date NOT NULL,
    ends_on             date NOT NULL,
    closed_at           timestamptz,
    closed_by           bigint,
    UNIQUE (programme_year_id, code),
    CHECK (ends_on >= starts_on)
);

CREATE TABLE area (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    code            text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, code),
    UNIQUE (programme_id, name),
    UNIQUE (id, programme_id)
);

-- A school as enrolled in one programme (URN is the DfE Unique Reference Number).
CREATE TABLE school (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    urn             text NOT NULL CHECK (urn ~ '^[0-9]{6}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    phase           text NOT NULL CHECK (length(phase) BETWEEN 1 AND 100),
    local_authority text,
    area_id         bigint NOT NULL,
    payee_reference text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, urn),
    FOREIGN KEY (area_id, programme_id) REFERENCES area (id, programme_id)
);
CREATE INDEX school_area ON school (area_id);

CREATE TABLE budget_category (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    code            text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit            text NOT NULL CHECK (unit IN ('GBP', 'MIN')),
    -- what a category pays for: staff-time cover, TLR/admin, action-plan spending, a programme
    -- pot, or a staff-time allowance in minutes
    kind            text NOT NULL CHECK (kind IN ('staff-cover', 'tlr-admin', 'action-plan', 'programme-pot', 'time-allowance')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, code),
    CHECK ((unit = 'MIN') = (kind = 'time-allowance'))
);
