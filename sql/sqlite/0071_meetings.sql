-- 0071_meetings: 三会一课 and organizational life (issue 15; DOMAIN.md §4; src/model/meeting*.c).
-- A meeting is a record of one organization (a branch, or a 党小组 for 党小组会) with a
-- type (1 支部党员大会, 2 支部委员会会议, 3 党小组会, 4 党课, 5 主题党日, 6 组织生活会,
-- 7 民主评议党员: meeting.c's table), a status (planned: a line of the year's plan;
-- draft; submitted; returned with a reason; approved, then locked: later corrections are
-- amendments with history), its attendance counts (due from the roster on the day), and
-- held_ym (YYYYMM of held_on) for the compliance pass, which reads meetings_scan alone.
CREATE TABLE meetings (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES orgs(id),
  org_path      TEXT NOT NULL,
  type          INTEGER NOT NULL CHECK (type BETWEEN 1 AND 7),
  status        TEXT NOT NULL CHECK (status IN ('planned', 'draft', 'submitted', 'returned', 'approved')),
  topic         TEXT,
  planned_on    TEXT,
  held_on       TEXT,
  held_ym       INTEGER NOT NULL DEFAULT 0,
  place         TEXT,
  host          TEXT,
  recorder      TEXT,
  content       TEXT,
  resolution    TEXT,
  hours_x10     INTEGER NOT NULL DEFAULT 0,
  due_count     INTEGER NOT NULL DEFAULT 0,
  present_count INTEGER NOT NULL DEFAULT 0,
  leave_count   INTEGER NOT NULL DEFAULT 0,
  absent_count  INTEGER NOT NULL DEFAULT 0,
  guest_count   INTEGER NOT NULL DEFAULT 0,
  return_reason TEXT,
  reviewer_id   INTEGER,
  reviewer_name TEXT,
  reviewed_at   INTEGER,
  view_count    INTEGER NOT NULL DEFAULT 0,
  version       INTEGER NOT NULL DEFAULT 1,
  created_by    INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  submitted_at  INTEGER
);
-- a branch's records; a subtree's list (a range of paths, then sorted by date)
CREATE INDEX meetings_org ON meetings (org_id, held_ym, id);
CREATE INDEX meetings_path ON meetings (org_path, id);
-- the compliance pass: a subtree's counted (submitted or approved) meetings, covering;
-- partial, so that the pass compares no status
CREATE INDEX meetings_scan ON meetings (org_path, held_ym, org_id, type) WHERE status IN ('submitted', 'approved');
-- the reviewer's queue
CREATE INDEX meetings_queue ON meetings (status, org_path, id);
CREATE TABLE meeting_attendance (
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  member_id  INTEGER,
  name       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('present', 'leave', 'absent', 'guest')),
  reason     TEXT,
  PRIMARY KEY (meeting_id, seq)
);
CREATE UNIQUE INDEX meeting_attendance_member ON meeting_attendance (meeting_id, member_id);
-- study hours: a member's present rows
CREATE INDEX meeting_attendance_by_member ON meeting_attendance (member_id, status, meeting_id);
-- 调阅: each opening of a submitted record by a higher level
CREATE TABLE meeting_views (
  id          INTEGER PRIMARY KEY,
  meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  org_path    TEXT NOT NULL,
  viewer_id   INTEGER NOT NULL,
  viewer_name TEXT,
  viewed_at   INTEGER NOT NULL
);
CREATE INDEX meeting_views_meeting ON meeting_views (meeting_id, id);
CREATE INDEX meeting_views_path ON meeting_views (org_path, viewed_at);
CREATE TABLE meeting_amendments (
  id         INTEGER PRIMARY KEY,
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  before_json TEXT NOT NULL,
  changed_by INTEGER,
  changed_at INTEGER NOT NULL
);
CREATE INDEX meeting_amendments_meeting ON meeting_amendments (meeting_id, id);
-- R-MTG-01 exemptions: period '2026-03', '2026-Q1' or '2026' by the type's cadence
CREATE TABLE meeting_exemptions (
  id         INTEGER PRIMARY KEY,
  org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  org_path   TEXT NOT NULL,
  type       INTEGER NOT NULL,
  period     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, type, period)
);
CREATE INDEX meeting_exemptions_path ON meeting_exemptions (org_path, period);
-- 民主评议党员: one grade per member and year
CREATE TABLE member_grades (
  member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  year       INTEGER NOT NULL,
  org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  meeting_id INTEGER REFERENCES meetings(id) ON DELETE SET NULL,
  grade      TEXT NOT NULL CHECK (grade IN ('excellent', 'qualified', 'basic', 'unqualified')),
  graded_at  INTEGER NOT NULL,
  PRIMARY KEY (member_id, year)
);
CREATE INDEX member_grades_org ON member_grades (org_id, year);
