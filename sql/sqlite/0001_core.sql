-- 0001_core: the foundation's tables. Jobs (long work with progress) and the daily
-- claims of scheduled work (DESIGN.md §3).
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'running', 'done', 'failed')),
  progress    INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  owner_id    INTEGER,
  org_id      INTEGER,
  params      TEXT,
  result      TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_owner ON jobs (owner_id, id);

CREATE TABLE schedule_claims (
  job         TEXT NOT NULL,
  day         TEXT NOT NULL,
  claimed_at  INTEGER NOT NULL,
  PRIMARY KEY (job, day)
);
