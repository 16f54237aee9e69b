-- 0085_services: 三社联动 community service requests (issue 18, DOMAIN.md §7) and their
-- public face, Open311 GeoReport v2 (/open311/v2/).
--
-- svc_services: the catalogue (服务事项目录). org_id is the organization that owns the
-- entry and receives a request whose grid is not known; handler_org_ids a JSON array of
-- the organizations that handle it; sla_hours the working hours to complete it;
-- attributes the Open311 attribute list (JSON array, as services/{code}.json shows it);
-- skill the volunteer skill tag (members.tags) the dispatcher looks for.
CREATE TABLE svc_services (
  id               INTEGER PRIMARY KEY,
  code             TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  description      TEXT,
  grp              TEXT NOT NULL,
  org_id           INTEGER NOT NULL REFERENCES orgs(id),
  handler_org_ids  TEXT NOT NULL DEFAULT '[]',
  sla_hours        INTEGER NOT NULL CHECK (sla_hours > 0),
  attributes       TEXT NOT NULL DEFAULT '[]',
  skill            TEXT,
  keywords         TEXT,
  active           INTEGER NOT NULL DEFAULT 1,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);

-- svc_requests: one request. org_id/org_path the community (or the service's owner)
-- responsible; state the internal state (accepted 受理, dispatched 派单, in_progress
-- 处理中, completed 办结, rated 评价, returned 退回, rejected 不予受理); is_open the
-- Open311 status (1 open, 0 closed) kept beside it for the public list's index.
-- lat_e6/lon_e6: the point in microdegrees (WGS-84). The requester's mobile is sealed
-- (dj_seal "svc.mobile") with its blind index and stored mask, as members' are.
-- follow_hash: keyed hash of the follow code (link + code); rate_hash / rate_expires:
-- the rating token's keyed hash and expiry (single use: rated_at set once).
CREATE TABLE svc_requests (
  id                  INTEGER PRIMARY KEY,
  service_id          INTEGER NOT NULL REFERENCES svc_services(id),
  org_id              INTEGER NOT NULL REFERENCES orgs(id),
  org_path            TEXT NOT NULL,
  grid_id             INTEGER REFERENCES grids(id),
  description         TEXT NOT NULL,
  address             TEXT,
  lat_e6              INTEGER,
  lon_e6              INTEGER,
  channel             TEXT NOT NULL,
  contact_name        TEXT,
  mobile_cipher       BLOB,
  mobile_blind        BLOB,
  mobile_masked       TEXT,
  attributes          TEXT,
  media_file_id       INTEGER,
  api_key_id          INTEGER,
  state               TEXT NOT NULL CHECK (state IN ('accepted', 'dispatched', 'in_progress', 'completed', 'rated', 'returned', 'rejected')),
  is_open             INTEGER NOT NULL,
  assignee_kind       TEXT,
  assignee_org_id     INTEGER REFERENCES orgs(id),
  assignee_org_path   TEXT,
  assignee_member_id  INTEGER,
  assignee_name       TEXT,
  status_note         TEXT,
  requested_at        INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  due_at              INTEGER NOT NULL,
  completed_at        INTEGER,
  done_file_id        INTEGER,
  follow_hash         BLOB NOT NULL,
  rate_hash           BLOB,
  rate_expires        INTEGER,
  rating              TEXT CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
  rating_comment      TEXT,
  rated_at            INTEGER
);
CREATE INDEX svc_requests_open_at ON svc_requests (is_open, requested_at, id);
CREATE INDEX svc_requests_at ON svc_requests (requested_at, id);
CREATE INDEX svc_requests_path ON svc_requests (org_path, requested_at, id);
CREATE INDEX svc_requests_service ON svc_requests (service_id, requested_at);
CREATE INDEX svc_requests_assignee_org ON svc_requests (assignee_org_path);
CREATE INDEX svc_requests_assignee_member ON svc_requests (assignee_member_id);

-- svc_events: every step of a request (state changes, dispatches, notes) with its actor
-- and time; public notes are shown to the resident and in Open311's status_notes.
CREATE TABLE svc_events (
  id            INTEGER PRIMARY KEY,
  request_id    INTEGER NOT NULL REFERENCES svc_requests(id),
  at            INTEGER NOT NULL,
  actor_id      INTEGER,
  actor_name    TEXT,
  action        TEXT NOT NULL,
  from_state    TEXT,
  to_state      TEXT,
  note          TEXT,
  public        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX svc_events_request ON svc_events (request_id, id);

-- svc_api_keys: Open311 posting clients. The key is shown once; only its keyed hash
-- is kept. rate_per_min requests a minute (counted in svc_rate).
CREATE TABLE svc_api_keys (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  key_hash      BLOB NOT NULL UNIQUE,
  key_prefix    TEXT NOT NULL,
  rate_per_min  INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  created_by    INTEGER,
  revoked_at    INTEGER
);

-- svc_rate: fixed-window counters of the public writes (per API key, per address),
-- shared by every server on the database.
CREATE TABLE svc_rate (
  bucket   TEXT NOT NULL,
  win      INTEGER NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (bucket, win)
);
