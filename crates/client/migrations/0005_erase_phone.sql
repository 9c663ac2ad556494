-- A call-back number is kept on the kiosk only until the server holds the
-- rating (PIPL: no longer than needed). Erasing it is the one change a rating
-- may still take; anything else is refused as before.
DROP TRIGGER ratings_no_update;
CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
WHEN NOT (OLD.phone IS NOT NULL AND NEW.phone IS NULL
          AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.session_id IS OLD.session_id
          AND NEW.device_id IS OLD.device_id AND NEW.device_time IS OLD.device_time
          AND NEW.hall_id IS OLD.hall_id AND NEW.window_id IS OLD.window_id AND NEW.staff_id IS OLD.staff_id
          AND NEW.case_no IS OLD.case_no AND NEW.attitude IS OLD.attitude AND NEW.competence IS OLD.competence
          AND NEW.reasons IS OLD.reasons AND NEW.comment IS OLD.comment AND NEW.misuse IS OLD.misuse)
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;

-- The numbers of ratings the server already holds go now.
UPDATE ratings SET phone = NULL
WHERE phone IS NOT NULL AND seq <= coalesce((SELECT acked_through FROM sync_streams WHERE kind = 'rating'), 0);
