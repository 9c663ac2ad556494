-- PIPL over time (see PostgreSQL's 0009_phone_erasure.sql): erasing a
-- call-back number down to its masked form is the one change a rating may take.
DROP TRIGGER ratings_no_update;
CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
WHEN NOT (OLD.phone IS NOT NULL AND OLD.phone NOT LIKE '%*%' AND (NEW.phone IS NULL OR NEW.phone LIKE '%*%')
          AND NEW.id IS OLD.id AND NEW.device_id IS OLD.device_id AND NEW.seq IS OLD.seq
          AND NEW.device_time IS OLD.device_time AND NEW.received_at IS OLD.received_at
          AND NEW.hall_id IS OLD.hall_id AND NEW.window_id IS OLD.window_id AND NEW.staff_id IS OLD.staff_id
          AND NEW.case_no IS OLD.case_no AND NEW.attitude IS OLD.attitude AND NEW.competence IS OLD.competence
          AND NEW.reasons IS OLD.reasons AND NEW.comment IS OLD.comment AND NEW.misuse IS OLD.misuse
          AND NEW.device_date IS OLD.device_date AND NEW.device_offset_minutes IS OLD.device_offset_minutes
          AND NEW.case_repeat IS OLD.case_repeat)
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE INDEX ratings_phone_kept ON ratings (received_at) WHERE phone IS NOT NULL AND phone NOT LIKE '%*%';
