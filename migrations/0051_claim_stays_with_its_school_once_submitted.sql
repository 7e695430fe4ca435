-- A submitted claim's holds sit on its school's accounts for its year, and its history, evidence and lines name it.
-- Nothing stopped a direct UPDATE from moving a submitted (or paid) claim to another school, year, period or
-- programme, or from changing who created it: the claim would then show under a school whose accounts never held
-- its money. Once a claim has left draft, those columns are fixed (GL007, as for its lines and evidence); a draft
-- can still change them (nothing is held yet).

CREATE FUNCTION claim_identity_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GL007',
        MESSAGE = format('claim %s is %s: its programme, year, period, school and creator cannot change', OLD.id, OLD.state);
END $$;

CREATE TRIGGER claim_identity_fixed BEFORE UPDATE ON claim
    FOR EACH ROW
    WHEN (OLD.state <> 'draft'
          AND (NEW.id, NEW.programme_id, NEW.programme_year_id, NEW.period_id, NEW.school_id, NEW.created_by, NEW.created_at)
              IS DISTINCT FROM
              (OLD.id, OLD.programme_id, OLD.programme_year_id, OLD.period_id, OLD.school_id, OLD.created_by, OLD.created_at))
    EXECUTE FUNCTION claim_identity_fixed();
