-- Each service instance keeps the API tokens it has looked up for half a minute (decision 0014), and forgets a user's
-- tokens when the database says they changed: every change to a token (revoked, its expiry, deleted) or to a user
-- (disabled, locked, their role or scope, deleted) announces the user's id on the channel grantledger_access when it
-- commits, whoever makes it (the service, the admin command, a script). TRUNCATE announces '*': forget everything.
-- A rolled-back change announces nothing. The service also forgets at once what its own requests change.

CREATE FUNCTION access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('grantledger_access', '*');
    ELSIF TG_TABLE_NAME = 'api_token' THEN
        PERFORM pg_notify('grantledger_access', OLD.user_id::text);
        IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
            PERFORM pg_notify('grantledger_access', NEW.user_id::text);
        END IF;
    ELSE
        PERFORM pg_notify('grantledger_access', OLD.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER api_token_changed AFTER UPDATE OR DELETE ON api_token FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER api_token_emptied AFTER TRUNCATE ON api_token FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
CREATE TRIGGER app_user_changed AFTER UPDATE OR DELETE ON app_user FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER app_user_emptied AFTER TRUNCATE ON app_user FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
