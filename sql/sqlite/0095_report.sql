-- 0095_report: the yearly report (issue 19). report_templates holds the district's
-- template (sentences with named figures, src/model/report.c); one row per
-- deployment (id 1), absent until the district first saves one (the built-in default
-- is used until then). indicator_snapshots freezes a closed year's figures for an
-- organization's subtree: one row per (organization, year, indicator), written in one
-- transaction with its snapshot header, so a report of that year says the same later.
CREATE TABLE report_templates (
  id          INTEGER PRIMARY KEY,
  body        TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT NOT NULL
);
CREATE TABLE indicator_snapshots (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES orgs(id),
  year        INTEGER NOT NULL,
  taken_at    INTEGER NOT NULL,
  taken_by    TEXT NOT NULL,
  UNIQUE (org_id, year)
);
CREATE TABLE indicator_snapshot_values (
  snapshot_id INTEGER NOT NULL REFERENCES indicator_snapshots(id),
  key         TEXT NOT NULL,
  num         INTEGER NOT NULL,
  den         INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, key)
);
