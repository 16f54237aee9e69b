-- 0076_study: 学习专题 (issue 16 #6). An issue (期) belongs to the organization that
-- publishes it; its audience is that organization's subtree (org_path range). It
-- goes draft → review → published (a reviewer publishes; a reviewer may send it back
-- to draft with a reason). Items (条) are articles (rich text sanitized on the server),
-- links, video links or documents (a file of the files store), with the study minutes
-- the publisher credits. Publishing pushes the issue through the outbox (in-app, one
-- message per member, dedup study:<issue>:<member>); reads are one row per (item,
-- member): opened, and read to the end.
CREATE TABLE study_issues (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES orgs(id),
  org_path      TEXT NOT NULL,
  title         TEXT NOT NULL,
  state         TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'review', 'published')),
  return_reason TEXT,
  created_by    INTEGER,
  reviewed_by   INTEGER,
  published_at  INTEGER,
  published_day TEXT,
  pushed        INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX study_issues_path ON study_issues (org_path, id);

CREATE TABLE study_items (
  id            INTEGER PRIMARY KEY,
  issue_id      INTEGER NOT NULL REFERENCES study_issues(id),
  seq           INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('article', 'link', 'video', 'document')),
  title         TEXT NOT NULL,
  body_html     TEXT,
  url           TEXT,
  file_id       INTEGER,
  study_minutes INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);
CREATE INDEX study_items_issue ON study_items (issue_id, seq);

CREATE TABLE study_reads (
  item_id       INTEGER NOT NULL REFERENCES study_items(id),
  member_id     INTEGER NOT NULL,
  opened_at     INTEGER NOT NULL,
  finished_at   INTEGER,
  PRIMARY KEY (item_id, member_id)
);
CREATE INDEX study_reads_member ON study_reads (member_id);
