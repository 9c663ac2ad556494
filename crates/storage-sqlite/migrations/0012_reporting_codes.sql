-- See PostgreSQL's 0010_reporting_codes.sql.
ALTER TABLE windows ADD COLUMN credit_code TEXT;
ALTER TABLE matters ADD COLUMN task_code TEXT;
