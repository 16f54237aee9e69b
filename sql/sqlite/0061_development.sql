-- 0061_development: 发展党员 (DOMAIN.md §2, issue 13). dev_applicants is one person on
-- the 25-step way from 入党申请 to 正式党员, kept apart from the roster until step 15
-- makes a 预备党员 (member_id). The ID number and mobile are sealed as members' are
-- (AEAD; the ID's blind index shares members' purpose, so a person already on the roster
-- is found). stage/last_step/status are the state machine's position; approved_on,
-- approved_org_id and approved_age are D(17) and what the statistics read. dev_steps
-- holds every recorded step (a returned one stays, with its reason), data a JSON object
-- of the step's particulars (introducers, the vote and its computed outcome, the 公示);
-- due_code/warn_on/due_on are what is due next (dev_next_due), kept on the row so that
-- the board and the work list count overdue applicants without reading their steps;
-- dev_quotas the district's yearly quota per 基层党委 (R-DEV-16).
CREATE TABLE dev_applicants (
  id               INTEGER PRIMARY KEY,
  org_id           INTEGER NOT NULL REFERENCES orgs(id),
  org_path         TEXT NOT NULL,
  name             TEXT NOT NULL,
  sex              TEXT NOT NULL,
  birth_date       TEXT NOT NULL,
  id_cipher        BLOB NOT NULL,
  id_blind         BLOB NOT NULL,
  id_masked        TEXT NOT NULL,
  mobile_cipher    BLOB,
  mobile_masked    TEXT,
  ethnicity        TEXT NOT NULL DEFAULT '01',
  education        TEXT,
  work_unit        TEXT,
  unit_type        TEXT,
  two_new          INTEGER NOT NULL DEFAULT 0,
  applied_on       TEXT NOT NULL,
  stage            INTEGER NOT NULL DEFAULT 1,
  last_step        INTEGER NOT NULL DEFAULT 1,
  last_on          TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn', 'cancelled', 'done')),
  status_reason    TEXT,
  member_id        INTEGER,
  approved_on      TEXT,
  approved_org_id  INTEGER,
  approved_age     INTEGER,
  extension_months INTEGER NOT NULL DEFAULT 0,
  probation_end    TEXT,
  due_code         TEXT,
  warn_on          TEXT,
  due_on           TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX dev_applicants_blind ON dev_applicants (id_blind);
-- the board and the lists: counted from the index alone
CREATE INDEX dev_applicants_path ON dev_applicants (org_path, status, stage, org_id, due_on);
-- the statistics of a period read this index alone (a year is a small part of the
-- records); the pipeline by step reads dev_applicants_pipeline alone
CREATE INDEX dev_applicants_approved ON dev_applicants (approved_on, org_path, status, approved_age, education, two_new, sex, ethnicity);
CREATE INDEX dev_applicants_pipeline ON dev_applicants (org_path, status, last_step);
CREATE INDEX dev_applicants_quota ON dev_applicants (approved_org_id, approved_on);
CREATE INDEX dev_applicants_member ON dev_applicants (member_id);

CREATE TABLE dev_steps (
  id            INTEGER PRIMARY KEY,
  applicant_id  INTEGER NOT NULL REFERENCES dev_applicants(id) ON DELETE CASCADE,
  step          INTEGER NOT NULL CHECK (step BETWEEN 1 AND 25),
  done_on       TEXT NOT NULL,
  org_id        INTEGER NOT NULL,
  body          TEXT NOT NULL DEFAULT '',
  actor_id      INTEGER NOT NULL DEFAULT 0,
  actor_name    TEXT NOT NULL DEFAULT '',
  notes         TEXT,
  data          TEXT,
  returned      INTEGER NOT NULL DEFAULT 0,
  return_reason TEXT,
  created_at    INTEGER NOT NULL
);
CREATE INDEX dev_steps_applicant ON dev_steps (applicant_id, id);

CREATE TABLE dev_quotas (
  org_id      INTEGER NOT NULL REFERENCES orgs(id),
  year        INTEGER NOT NULL,
  quota       INTEGER NOT NULL CHECK (quota >= 0),
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, year)
);
