-- A password a programme admin gives (creating a user, or resetting one's password) is a one-time password: its user
-- can do nothing with it but choose their own. Until then must_choose_password is true; users made before this
-- migration, by the admin command, by the demo or straight into the table keep false.
--
-- A user who must choose holds no API token that is not revoked: a reset revokes them, and a token is issued only to a
-- user who has chosen. Here the database holds it, whoever writes (GL012):
--   - a token is not issued to, nor un-revoked for, a user who must choose. The user's row is read FOR SHARE, so a
--     reset running at the same moment waits for the token's transaction (and then revokes the token), or the token's
--     waits for the reset's (and then sees that the user must choose);
--   - a user is not told to choose while holding a live token: checked when the transaction commits, so that a reset
--     may set the flag first (locking the row) and revoke the tokens after.

ALTER TABLE app_user ADD COLUMN must_choose_password boolean NOT NULL DEFAULT false;

CREATE FUNCTION api_token_for_a_chosen_password() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT must_choose_password FROM app_user WHERE id = NEW.user_id FOR SHARE) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL012',
            MESSAGE = 'the user must choose their own password before an API token is issued to them';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER api_token_for_a_chosen_password BEFORE INSERT OR UPDATE OF revoked_at ON api_token
    FOR EACH ROW WHEN (NEW.revoked_at IS NULL) EXECUTE FUNCTION api_token_for_a_chosen_password();

CREATE FUNCTION app_user_choosing_holds_no_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT must_choose_password FROM app_user WHERE id = NEW.id)
       AND EXISTS (SELECT 1 FROM api_token t WHERE t.user_id = NEW.id AND t.revoked_at IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'GL012',
            MESSAGE = 'a user who must choose their own password holds no API token: revoke their tokens with the reset';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER app_user_choosing_holds_no_token AFTER INSERT OR UPDATE OF must_choose_password ON app_user
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.must_choose_password) EXECUTE FUNCTION app_user_choosing_holds_no_token();
