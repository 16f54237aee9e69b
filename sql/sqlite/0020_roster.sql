-- 0020_roster: organizations' full record (DOMAIN.md §3) on top of identity's minimal
-- orgs table (0010), grids and buildings, committees and ratings, the member roster
-- (DOMAIN.md §8.7) with encrypted ID numbers and mobiles and their blind indexes, and
-- the history of membership-state changes.
ALTER TABLE orgs ADD COLUMN short_name TEXT;
ALTER TABLE orgs ADD COLUMN code TEXT;
ALTER TABLE orgs ADD COLUMN type TEXT NOT NULL DEFAULT '党支部';
ALTER TABLE orgs ADD COLUMN label TEXT;
ALTER TABLE orgs ADD COLUMN domain TEXT NOT NULL DEFAULT '其他';
ALTER TABLE orgs ADD COLUMN two_new INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN unit_name TEXT;
ALTER TABLE orgs ADD COLUMN unit_nature TEXT;
ALTER TABLE orgs ADD COLUMN credit_code TEXT;
ALTER TABLE orgs ADD COLUMN secretary TEXT;
ALTER TABLE orgs ADD COLUMN contact TEXT;
ALTER TABLE orgs ADD COLUMN phone TEXT;
ALTER TABLE orgs ADD COLUMN address TEXT;
ALTER TABLE orgs ADD COLUMN grid_id INTEGER;
ALTER TABLE orgs ADD COLUMN founded_on TEXT;
ALTER TABLE orgs ADD COLUMN term_started_on TEXT;
ALTER TABLE orgs ADD COLUMN term_years INTEGER;
ALTER TABLE orgs ADD COLUMN extended_until TEXT;
ALTER TABLE orgs ADD COLUMN extension_reason TEXT;
ALTER TABLE orgs ADD COLUMN sort INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orgs_parent_name ON orgs (parent_id, name);

CREATE TABLE org_committee (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  member_id   INTEGER,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL,
  started_on  TEXT,
  ended_on    TEXT
);
CREATE INDEX org_committee_org ON org_committee (org_id);

CREATE TABLE org_ratings (
  org_id         INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  year           INTEGER NOT NULL,
  star_level     INTEGER CHECK (star_level BETWEEN 0 AND 5),
  classification TEXT,
  PRIMARY KEY (org_id, year)
);

CREATE TABLE grids (
  id      INTEGER PRIMARY KEY,
  org_id  INTEGER NOT NULL REFERENCES orgs(id),
  name    TEXT NOT NULL,
  code    TEXT,
  UNIQUE (org_id, name)
);

CREATE TABLE buildings (
  id       INTEGER PRIMARY KEY,
  grid_id  INTEGER NOT NULL REFERENCES grids(id),
  org_id   INTEGER REFERENCES orgs(id),
  name     TEXT NOT NULL,
  address  TEXT,
  UNIQUE (grid_id, name)
);

CREATE TABLE members (
  id             INTEGER PRIMARY KEY,
  org_id         INTEGER NOT NULL REFERENCES orgs(id),
  org_path       TEXT NOT NULL,            -- the organization's path, for subtree ranges
  group_org_id   INTEGER REFERENCES orgs(id), -- 党小组
  name           TEXT NOT NULL,
  former_name    TEXT,
  sex            TEXT NOT NULL,             -- GB/T 2261.1, derived from the ID number
  birth_date     TEXT NOT NULL,             -- derived from the ID number
  id_cipher      BLOB NOT NULL,             -- dj_seal(ad "member.id_number")
  id_blind       BLOB NOT NULL UNIQUE,      -- dj_blind_index("member.id_number")
  mobile_cipher  BLOB,                      -- dj_seal(ad "member.mobile")
  mobile_blind   BLOB,
  ethnicity      TEXT NOT NULL DEFAULT '01',
  native_place   TEXT,
  address        TEXT,
  grid_id        INTEGER REFERENCES grids(id),
  building_id    INTEGER REFERENCES buildings(id),
  photo          TEXT,
  education      TEXT,
  degree         TEXT,
  work_unit      TEXT,
  unit_type      TEXT,
  two_new        INTEGER NOT NULL DEFAULT 0,
  post           TEXT,
  category       TEXT,
  party_status   TEXT NOT NULL CHECK (party_status IN ('formal', 'probationary')),
  state          TEXT NOT NULL DEFAULT 'normal',
  party_post     TEXT,
  joined_on      TEXT NOT NULL,             -- 入党时间 = 政治生日 (R-DEV-11)
  confirmed_on   TEXT,                      -- 转正时间; 党龄 counts from here (R-DEV-13)
  introducers    TEXT,                      -- JSON array of names
  dues_base      INTEGER,                   -- fen per month
  dues_paid_to   TEXT,                      -- YYYY-MM
  tags           TEXT,                      -- JSON array
  stats_key      INTEGER NOT NULL,          -- the statistics' fields packed (member_stats_key)
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX members_path_name ON members (org_path, name, id);
CREATE INDEX members_name ON members (name, id);
CREATE INDEX members_joined ON members (joined_on, id);
CREATE INDEX members_org ON members (org_id);
CREATE INDEX members_mobile_blind ON members (mobile_blind);
-- covering index for statistics: one pass over the subtree range (DESIGN.md §10)
CREATE INDEX members_stats ON members (org_path, org_id, stats_key);

CREATE TABLE member_history (
  id          INTEGER PRIMARY KEY,
  member_id   INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  date        TEXT NOT NULL,
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  reason      TEXT,
  actor_id    INTEGER,
  actor_name  TEXT
);
CREATE INDEX member_history_member ON member_history (member_id, id);
