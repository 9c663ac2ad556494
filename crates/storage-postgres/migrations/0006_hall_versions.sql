-- Reference data versioned per hall: a change moves the version of the halls
-- whose kiosks hold the row (and the whole data's version, which the hall
-- office and officer laptops follow); a kiosk pulls when its hall's moves.
ALTER TABLE halls ADD COLUMN reference_version bigint;
UPDATE halls SET reference_version = (SELECT value::bigint FROM meta WHERE key = 'reference_version');

-- A kiosk's pull reads its hall's rows only.
CREATE INDEX windows_hall ON windows (hall_id);
CREATE INDEX staff_hall ON staff (hall_id);
