-- 0105_study_read_counts: 学习专题's read rate by organization (issue 19's study.read_rate),
-- kept as the pushes and reads happen so that a subtree's rate sums a few rows instead
-- of joining every push and read: for each published issue and each organization path
-- its members were in when the issue was pushed, how many members it was pushed to and
-- how many of its items they read to the end (model/study.c keeps it).
CREATE TABLE study_read_counts (
  issue_id  BIGINT NOT NULL REFERENCES study_issues(id) DEFERRABLE INITIALLY IMMEDIATE,
  org_path  TEXT NOT NULL,
  pushed    BIGINT NOT NULL DEFAULT 0,
  finished  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (issue_id, org_path)
);
CREATE INDEX study_read_counts_path ON study_read_counts (org_path, issue_id);
-- what was pushed and read before this table
INSERT INTO study_read_counts (issue_id, org_path, pushed, finished)
SELECT i.id, o.org_path, COUNT(*), 0 FROM study_issues i
  JOIN outbox o ON o.dedup_key >= 'study:' || CAST(i.id AS TEXT) || ':inapp:'
   AND o.dedup_key < 'study:' || CAST(i.id AS TEXT) || ':inapp;'
 WHERE i.state = 'published' GROUP BY i.id, o.org_path;
UPDATE study_read_counts SET finished = (SELECT COUNT(*) FROM study_reads r JOIN study_items x ON x.id = r.item_id
  JOIN outbox o ON o.dedup_key = 'study:' || CAST(x.issue_id AS TEXT) || ':inapp:' || CAST(r.member_id AS TEXT)
  WHERE x.issue_id = study_read_counts.issue_id AND o.org_path = study_read_counts.org_path AND r.finished_at IS NOT NULL);
