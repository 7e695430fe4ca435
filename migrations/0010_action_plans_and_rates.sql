-- Action plans and rate cards: what claims are checked against and priced by.

-- The eight themes of the inclusion framework a school chooses its 2 or 3 priorities from.
CREATE FUNCTION action_plan_themes_valid(themes text[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(themes) BETWEEN 2 AND 3
       AND themes <@ ARRAY['transitions', 'environments', 'policies', 'learning', 'support', 'mindsets', 'connections', 'communities']
       AND (SELECT count(DISTINCT t) FROM unnest(themes) t) = cardinality(themes)
$$;

-- One version of a school's action plan for a programme year. An agreed version is never edited:
-- revising it starts a new version (draft), and agreeing that one supersedes the old. Every
-- version is kept.
CREATE TABLE action_plan (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id            bigint NOT NULL REFERENCES programme(id),
    programme_year_id       bigint NOT NULL REFERENCES programme_year(id),
    school_id               bigint NOT NULL REFERENCES school(id),
    version                 integer NOT NULL CHECK (version >= 1),
    state                   text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'agreed', 'superseded')),
    themes                  text[] NOT NULL CONSTRAINT action_plan_themes CHECK (action_plan_themes_valid(themes)),
    -- the date the school's student action group agreed the plan
    student_group_agreed_on date,
    summary                 text NOT NULL DEFAULT '' CHECK (length(summary) <= 2000),
    -- the area lead's feedback when the plan was last returned
    feedback                text CHECK (length(feedback) <= 2000),
    created_by              bigint NOT NULL REFERENCES app_user(id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    submitted_by            bigint REFERENCES app_user(id),
    submitted_at            timestamptz,
    agreed_by               bigint REFERENCES app_user(id),
    agreed_at               timestamptz,
    superseded_at           timestamptz,
    UNIQUE (school_id, programme_year_id, version),
    CHECK (state NOT IN ('submitted', 'agreed', 'superseded') OR student_group_agreed_on IS NOT NULL),
    CHECK (state NOT IN ('agreed', 'superseded') OR agreed_by IS NOT NULL)
);
-- At most one agreed version and one version in progress per school and year.
CREATE UNIQUE INDEX action_plan_one_agreed ON action_plan (school_id, programme_year_id) WHERE state = 'agreed';
CREATE UNIQUE INDEX action_plan_one_open ON action_plan (school_id, programme_year_id) WHERE state IN ('draft', 'submitted');

-- An action of one plan version. action_ref is the action's number, kept from version to version
-- so spending is followed across revisions.
CREATE TABLE action_plan_action (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_plan_id          bigint NOT NULL REFERENCES action_plan(id),
    action_ref              integer NOT NULL CHECK (action_ref > 0),
    theme                   text NOT NULL,
    description             text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    period_id               bigint NOT NULL REFERENCES period(id),
    estimated_cost_pence    bigint NOT NULL CHECK (estimated_cost_pence >= 0),
    UNIQUE (action_plan_id, action_ref)
);
CREATE INDEX action_plan_action_plan ON action_plan_action (action_plan_id);

-- A plan's content changes only while it is a draft; after that only its state moves (and the
-- people and times that go with it). Each action sits under one of its plan's themes.
CREATE FUNCTION action_plan_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL002', MESSAGE = 'action plan versions are kept: DELETE is refused';
    END IF;
    IF OLD.state <> 'draft' AND (NEW.themes, NEW.student_group_agreed_on, NEW.summary, NEW.programme_id, NEW.programme_year_id,
                                 NEW.school_id, NEW.version, NEW.created_by)
                                IS DISTINCT FROM
                                (OLD.themes, OLD.student_group_agreed_on, OLD.summary, OLD.programme_id, OLD.programme_year_id,
                                 OLD.school_id, OLD.version, OLD.created_by) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL008',
            MESSAGE = format('action plan %s is %s: only a draft is edited; revise it as a new version', OLD.id, OLD.state);
    END IF;
    IF (OLD.state, NEW.state) NOT IN (('draft', 'draft'), ('draft', 'submitted'), ('submitted', 'agreed'), ('submitted', 'draft'),
                                      ('agreed', 'superseded'), ('submitted', 'submitted'), ('agreed', 'agreed'), ('superseded', 'superseded')) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL008',
            MESSAGE = format('action plan %s cannot move from %s to %s', OLD.id, OLD.state, NEW.state);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER action_plan_frozen BEFORE UPDATE OR DELETE ON action_plan
    FOR EACH ROW EXECUTE FUNCTION action_plan_frozen();

CREATE FUNCTION action_plan_action_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan action_plan;
BEGIN
    SELECT * INTO plan FROM action_plan WHERE id = COALESCE(NEW.action_plan_id, OLD.action_plan_id);
    IF plan.state <> 'draft' THEN
        RAISE EXCEPTION USING ERRCODE = 'GL008',
            MESSAGE = format('action plan %s is %s: its actions change only in a new version', plan.id, plan.state);
    END IF;
    IF TG_OP <> 'DELETE' AND NOT NEW.theme = ANY (plan.themes) THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = format('action %s''s theme %s is not one of the plan''s themes', NEW.action_ref, NEW.theme);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER action_plan_action_frozen BEFORE INSERT OR UPDATE OR DELETE ON action_plan_action
    FOR EACH ROW EXECUTE FUNCTION action_plan_action_frozen();

-- The rate card: effective-dated rates per programme. A rate is never changed; a new rate with a
-- later effective date takes over from that date. Claim lines copy the rate they were priced at.
CREATE TABLE rate (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id    bigint NOT NULL REFERENCES programme(id),
    code            text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    basis           text NOT NULL CHECK (basis IN ('day', 'hour', 'period')),
    amount_pence    bigint NOT NULL CHECK (amount_pence > 0),
    effective_from  date NOT NULL,
    created_by      bigint REFERENCES app_user(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, code, effective_from)
);
CREATE TRIGGER rate_immutable BEFORE UPDATE OR DELETE ON rate
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER rate_no_truncate BEFORE TRUNCATE ON rate
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
