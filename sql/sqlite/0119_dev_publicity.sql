-- 0119_dev_publicity: a 公示 in progress (R-DEV-15; issue 16's publicity_ending reminder).
-- The 公示 before 确定发展对象 (step 7) and before 转正 (step 23) is entered when it is
-- posted, with its start; its end is the last of the configured working days
-- (workday_span_end), computed on the server. One per applicant and step (posted
-- again: replaced). The step itself still carries its own publicity_start (R-DEV-15
-- checks it there); this row is what the reminder reads while the 公示 runs.
CREATE TABLE dev_publicity (
  applicant_id INTEGER NOT NULL REFERENCES dev_applicants(id) ON DELETE CASCADE,
  step         INTEGER NOT NULL CHECK (step IN (7, 23)),
  start_on     TEXT NOT NULL,
  end_on       TEXT NOT NULL,
  workdays     INTEGER NOT NULL,
  created_by   INTEGER,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (applicant_id, step)
);
CREATE INDEX dev_publicity_end ON dev_publicity (end_on);
