-- What the hall office sets for its kiosks beyond the opening hours (lunch
-- break, sleep when closed, idle time, misuse interval, languages): a
-- tiyan_core::settings::KioskPolicy as JSON, checked in core before it is
-- written. It reaches the kiosks with the hall's reference data.
ALTER TABLE hall_settings ADD COLUMN kiosk_policy TEXT NOT NULL DEFAULT '{}';

-- The edition of the reference data (and so of the centre's settings) a
-- device last said it holds: the fleet page shows who is behind.
ALTER TABLE devices ADD COLUMN reference_held BIGINT;
