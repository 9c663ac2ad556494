-- PIPL over time: a call-back number is kept a set time after its item is
-- closed (or after the rating, when it made no item), then only its masked
-- form (138****5678). Ratings stay append-only but for that one change.
CREATE FUNCTION tiyan_ratings_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.phone IS NOT NULL AND OLD.phone NOT LIKE '%*%'
       AND (NEW.phone IS NULL OR NEW.phone LIKE '%*%')
       AND (to_jsonb(NEW) - 'phone') = (to_jsonb(OLD) - 'phone') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ratings is append-only';
END $$;
DROP TRIGGER ratings_append_only ON ratings;
CREATE TRIGGER ratings_append_only BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION tiyan_ratings_erase_only();
-- The numbers still kept in full, for the housekeeping's look.
CREATE INDEX ratings_phone_kept ON ratings (received_at) WHERE phone IS NOT NULL AND phone NOT LIKE '%*%';
