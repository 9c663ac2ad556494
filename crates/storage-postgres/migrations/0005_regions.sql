-- A province's tree of regions (GB/T 2260 division codes, nine digits for a
-- township): reference data like the halls, retired rather than deleted.
CREATE TABLE regions (
    code    text PRIMARY KEY,
    name_zh text NOT NULL,
    name_en text NOT NULL DEFAULT '',
    active  boolean NOT NULL DEFAULT true
);

-- The region a hall hangs under; a region's halls are those whose code starts
-- with its significant digits (text_pattern_ops: LIKE 'prefix%' uses it).
ALTER TABLE halls ADD COLUMN division text;
CREATE INDEX halls_division ON halls (division text_pattern_ops);

-- An account placed over a hall, a region, or (neither) everywhere; the rule
-- of which role may be where is core's (Role::may_be_at).
ALTER TABLE accounts ADD COLUMN region text REFERENCES regions (code);
ALTER TABLE accounts DROP CONSTRAINT accounts_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_one_place CHECK (hall_id IS NULL OR region IS NULL);
