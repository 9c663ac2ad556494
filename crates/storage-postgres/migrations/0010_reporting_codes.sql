-- What the province's platform wants of a case beyond the hall: the credit
-- code of the department a window belongs to (进驻部门) and a matter's code in
-- the province's implementation list (事项编码).
ALTER TABLE windows ADD COLUMN credit_code TEXT;
ALTER TABLE matters ADD COLUMN task_code TEXT;
