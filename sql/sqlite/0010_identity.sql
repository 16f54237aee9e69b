-- 0010_identity: users, role assignments, sessions, login throttling and the audit log
-- (DESIGN.md §5, SECURITY.md S5-S10).
--
-- orgs: the minimal organization tree the identity module needs for role assignments
-- and scope (a materialized path "/1/17/342/" per organization). The roster migrations
-- (0020+) add the rest of an organization's columns with ALTER TABLE ADD COLUMN.
CREATE TABLE orgs (
  id          INTEGER PRIMARY KEY,
  parent_id   INTEGER REFERENCES orgs(id),
  path        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);

-- status 'locked' lasts until locked_until; the next login after it unlocks (audited).
-- password_hash is a libsodium Argon2id string ($argon2id$v=19$m=…,t=…,p=1$salt$hash).
-- mobile and the TOTP secrets are AEAD blobs (dj_seal: "user.mobile", "user.totp").
-- member_id: the member record of a `member`-role user (no foreign key: the roster's
-- table comes later and a user may outlive the record).
CREATE TABLE users (
  id                   INTEGER PRIMARY KEY,
  username             TEXT NOT NULL UNIQUE,
  name                 TEXT NOT NULL,
  mobile               BLOB,
  mobile_masked        TEXT,
  status               TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'disabled', 'locked')),
  password_hash        TEXT NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 1 CHECK (must_change_password IN (0, 1)),
  password_changed_at  INTEGER NOT NULL,
  totp_secret          BLOB,
  totp_pending         BLOB,
  totp_last_step       INTEGER NOT NULL DEFAULT 0,
  failed_count         INTEGER NOT NULL DEFAULT 0,
  failed_since         INTEGER NOT NULL DEFAULT 0,
  locked_until         INTEGER NOT NULL DEFAULT 0,
  member_id            INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  last_login_at        INTEGER
);
CREATE INDEX users_member ON users (member_id);

-- An assignment (user, role, organization) covers the organization's subtree. The
-- administrator roles (sysadmin, secadmin, auditor) are global: org_id is NULL. A NULL
-- org_id covers no organization in scope decisions.
CREATE TABLE user_roles (
  user_id     INTEGER NOT NULL REFERENCES users(id),
  role        TEXT NOT NULL,
  org_id      INTEGER REFERENCES orgs(id),
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_roles_unique ON user_roles (user_id, role, COALESCE(org_id, 0));
CREATE INDEX user_roles_org ON user_roles (org_id);

-- Sessions: only a hash of the 256-bit token is stored.
CREATE TABLE sessions (
  id            INTEGER PRIMARY KEY,
  token_hash    BLOB NOT NULL UNIQUE,
  user_id       INTEGER NOT NULL REFERENCES users(id),
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  ip            TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per client address (the per-IP limit); old rows are pruned.
CREATE TABLE login_failures (
  id   INTEGER PRIMARY KEY,
  ip   TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- The audit log: append-only, each row chained to the previous one with a keyed
-- BLAKE2b (the key is a file outside the database). audit_head holds a keyed MAC of
-- the last row so that cutting rows off the end is detected too.
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  actor_id     INTEGER,
  actor_name   TEXT,
  role         TEXT,
  org_id       INTEGER,
  ip           TEXT,
  action       TEXT NOT NULL,
  object_type  TEXT,
  object_id    INTEGER,
  outcome      TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  summary      TEXT,
  mac          BLOB NOT NULL
);
CREATE INDEX audit_actor ON audit_log (actor_id, id);
CREATE INDEX audit_action ON audit_log (action, id);
CREATE INDEX audit_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_at ON audit_log (at, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE audit_head (
  one       INTEGER PRIMARY KEY CHECK (one = 1),
  last_id   INTEGER NOT NULL,
  head_mac  BLOB NOT NULL
);
