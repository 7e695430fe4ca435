-- The actions the audit trail records, each with the record type it is written with: the service's list
-- (AuditAction in src/GrantLedger.Web/Audit, which every write of an audit event names) kept here too, and every
-- audit_event's (action, record_type) a foreign key into it. An event of an action no one knows (misspelt by a script,
-- "clam.approve", or written under another record type) is refused, so that the trail's filters can offer what exists
-- and refuse the rest: a search for an action that is not one found nothing, and read as "nothing of that kind happened".
--
-- Filled here and changed only by a migration, as claim_lifecycle (0058) is; a test compares the table with the code's
-- list, so an action added to the code without its row fails the tests, not a deployment (decision 0021).
-- Every action the service has written since its first commit is here (read from the code's history: the literals and
-- the workflows' triggers, none renamed or dropped), so no existing event is refused; should an installation hold
-- others (written by hand), this migration names them and stops before changing anything.
--
-- The check is a look-up on this table's primary key as each event is inserted: no statement more for the service.

CREATE TABLE audit_action (
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z-]*\.[a-z][a-z-]*$'),
    record_type text NOT NULL CHECK (record_type ~ '^[a-z][a-z_]*$'),
    PRIMARY KEY (action, record_type)
);
COMMENT ON TABLE audit_action IS 'The actions the audit trail records and their record types (AuditAction): every audit_event is one of them';

INSERT INTO audit_action (action, record_type) VALUES
    ('action-plan.agree',                     'action_plan'),
    ('action-plan.changed',                   'action_plan'),
    ('action-plan.return',                    'action_plan'),
    ('action-plan.revised',                   'action_plan'),
    ('action-plan.started',                   'action_plan'),
    ('action-plan.submit',                    'action_plan'),
    ('action-plan.supersede',                 'action_plan'),
    ('allocation.posted',                     'allocation'),
    ('token.issued',                          'api_token'),
    ('token.revoked',                         'api_token'),
    ('sign-in.failed',                        'app_user'),
    ('sign-in.refused',                       'app_user'),
    ('sign-in.succeeded',                     'app_user'),
    ('sign-out.succeeded',                    'app_user'),
    ('user.created',                          'app_user'),
    ('user.disabled',                         'app_user'),
    ('user.enabled',                          'app_user'),
    ('user.password-changed',                 'app_user'),
    ('user.password-chosen',                  'app_user'),
    ('user.password-reset',                   'app_user'),
    ('area.changed',                          'area'),
    ('area.created',                          'area'),
    ('category.changed',                      'budget_category'),
    ('category.created',                      'budget_category'),
    ('claim.approve',                         'claim'),
    ('claim.changed',                         'claim'),
    ('claim.discarded',                       'claim'),
    ('claim.evidence-attached',               'claim'),
    ('claim.evidence-removed',                'claim'),
    ('claim.line-added',                      'claim'),
    ('claim.line-changed',                    'claim'),
    ('claim.line-removed',                    'claim'),
    ('claim.lines-imported',                  'claim'),
    ('claim.reject',                          'claim'),
    ('claim.return',                          'claim'),
    ('claim.second-approve',                  'claim'),
    ('claim.start-review',                    'claim'),
    ('claim.started',                         'claim'),
    ('claim.submit',                          'claim'),
    ('claim.withdraw',                        'claim'),
    ('export.requested',                      'export_job'),
    ('funding.posted',                        'funding'),
    ('entry.reversed',                        'journal_entry'),
    ('payment-confirmations.imported',        'payment_confirmation_import'),
    ('claim.add-to-payment-run',              'payment_run'),
    ('claim.mark-paid',                       'payment_run'),
    ('claim.payment-failed',                  'payment_run'),
    ('claim.remove-from-payment-run',         'payment_run'),
    ('payment-run.approve',                   'payment_run'),
    ('payment-run.built',                     'payment_run'),
    ('payment-run.cancel',                    'payment_run'),
    ('payment-run.export',                    'payment_run'),
    ('payment-run.mark-paid',                 'payment_run'),
    ('period.closed',                         'period'),
    ('payment-confirmations.changed-nothing', 'programme'),
    ('payment-confirmations.refused',         'programme'),
    ('programme.changed',                     'programme'),
    ('programme.created',                     'programme'),
    ('school.imported',                       'programme'),
    ('year.closed',                           'programme_year'),
    ('year.created',                          'programme_year'),
    ('rate.added',                            'rate'),
    ('school.changed',                        'school'),
    ('school.enrolled',                       'school'),
    ('school.payee-reference-changed',        'school'),
    ('virement.posted',                       'virement');

CREATE FUNCTION audit_action_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL019',
        MESSAGE = format('the audit trail''s actions change only by a migration: %s on audit_action is refused', TG_OP);
END $$;

CREATE TRIGGER audit_action_fixed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON audit_action
    FOR EACH STATEMENT EXECUTE FUNCTION audit_action_fixed();

-- events already written: each must be of a known action, else say which are not before refusing
DO $$
DECLARE
    unknown text;
BEGIN
    SELECT string_agg(format('%s (%s): %s events', e.action, e.record_type, e.n), '; ' ORDER BY e.action, e.record_type) INTO unknown
      FROM (SELECT action, record_type, count(*) AS n FROM audit_event GROUP BY action, record_type) e
     WHERE NOT EXISTS (SELECT 1 FROM audit_action a WHERE a.action = e.action AND a.record_type = e.record_type);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'GL019',
            MESSAGE = 'audit_event holds actions the service does not know: ' || unknown,
            HINT = 'name them in the service''s AuditAction and in this list of audit_action''s rows (as actions no longer written) before applying it';
    END IF;
END $$;

ALTER TABLE audit_event ADD CONSTRAINT audit_event_action_known
    FOREIGN KEY (action, record_type) REFERENCES audit_action (action, record_type);

CREATE VIEW audit.actions AS SELECT action, record_type FROM audit_action;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grantledger_auditor') THEN
        GRANT SELECT ON audit.actions TO grantledger_auditor;
    END IF;
END $$;
