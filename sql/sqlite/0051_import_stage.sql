-- 0051_import_stage: an import writes in short transactions and stays all-or-nothing
-- (SECURITY.md S18, S24). Its checked, sealed rows are staged here, tagged with the
-- job, a batch per transaction; no reader sees them. When the file is judged good, one
-- short transaction records the commit point in import_publish (with the job's result
-- and the import's audit row); the staged rows then move into members in short
-- batches, the last of which marks the job done. A process killed before the commit
-- point leaves staged rows that the next start deletes (the job reads failed); killed
-- after it, the next start finishes the move (the job reads done).
CREATE TABLE import_stage (
  job_id         INTEGER NOT NULL,
  seq            INTEGER NOT NULL,
  org_id         INTEGER NOT NULL,
  org_path       TEXT NOT NULL,
  group_org_id   INTEGER,
  name           TEXT NOT NULL,
  former_name    TEXT,
  sex            TEXT NOT NULL,
  birth_date     TEXT NOT NULL,
  id_cipher      BLOB NOT NULL,
  id_blind       BLOB NOT NULL,
  mobile_cipher  BLOB,
  mobile_blind   BLOB,
  ethnicity      TEXT NOT NULL,
  native_place   TEXT,
  address        TEXT,
  grid_id        INTEGER,
  building_id    INTEGER,
  education      TEXT,
  degree         TEXT,
  work_unit      TEXT,
  unit_type      TEXT,
  two_new        INTEGER NOT NULL,
  post           TEXT,
  category       TEXT,
  party_status   TEXT NOT NULL,
  state          TEXT NOT NULL,
  party_post     TEXT,
  joined_on      TEXT NOT NULL,
  confirmed_on   TEXT,
  introducers    TEXT,
  dues_base      INTEGER,
  dues_paid_to   TEXT,
  tags           TEXT,
  stats_key      INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
);
-- a staged person is reserved: a member created meanwhile with the same ID number is
-- refused as a duplicate, so the move into members can not fail on members.id_blind
CREATE UNIQUE INDEX import_stage_blind ON import_stage (id_blind);

CREATE TABLE import_publish (
  job_id    INTEGER PRIMARY KEY,
  org_id    INTEGER NOT NULL,
  next_seq  INTEGER NOT NULL DEFAULT 0,  -- rows below have moved into members
  result    TEXT NOT NULL                -- the job's result once every row has moved
);
