-- See PostgreSQL's 0011_kiosk_policy.sql.
ALTER TABLE hall_settings ADD COLUMN kiosk_policy TEXT NOT NULL DEFAULT '{}';
ALTER TABLE devices ADD COLUMN reference_held INTEGER;
