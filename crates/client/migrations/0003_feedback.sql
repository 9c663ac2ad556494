-- An officer's answers to the ledger's replies on their problems (满意 /
-- 基本满意 / 不满意): append-only records of their own sync stream (the rowid is
-- the sequence number), and what the ledger last said of each problem.

CREATE TABLE feedback (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    officer_id   TEXT NOT NULL,
    problem_id   TEXT NOT NULL,
    satisfaction TEXT NOT NULL CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    answered_at  TEXT NOT NULL
) STRICT;
CREATE INDEX feedback_problem ON feedback (problem_id);

CREATE TRIGGER feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;

ALTER TABLE ledger_states ADD COLUMN reply TEXT;
ALTER TABLE ledger_states ADD COLUMN satisfaction TEXT;
