-- 0129_outbox_lean: a push of one study item or notice to a whole district writes a
-- million in-app rows in one statement (issue 16: ≤ 10 s). Measured on the bench
-- district (1M members, SQLite CLI, CPU seconds of the INSERT … SELECT): 10.1 s before,
-- of which the two CHECK (x IN (…)) constraints were ~2–3 s (SQLite probes an ephemeral
-- table per row for an IN list), outbox_kind ~1 s (its only reader, the birthday
-- figure of model/ind_messages.c, counts SMS), and reading every member's table row for
-- its state ~0.8 s.
-- So: the outbox is rebuilt with the same columns, the same checks written as OR of
-- equalities (the same rule, compared in place), outbox_kind holds the rows sent by a
-- provider only (channel <> 'inapp': its readers say so); and the members in the normal
-- state have a narrow index (org_path, id) that an in-app push reads alone
-- (model/outbox.c: outbox.subtree_inapp).
CREATE TABLE outbox_lean (
  id              INTEGER PRIMARY KEY,
  dedup_key       TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,
  channel         TEXT NOT NULL CHECK (channel = 'sms' OR channel = 'wechat' OR channel = 'inapp'),
  member_id       INTEGER,
  user_id         INTEGER,
  org_path        TEXT NOT NULL DEFAULT '/',
  template        TEXT NOT NULL,
  params          TEXT NOT NULL DEFAULT '{}',
  title           TEXT NOT NULL DEFAULT '',
  body            TEXT NOT NULL DEFAULT '',
  link            TEXT,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state = 'queued' OR state = 'sending' OR state = 'sent' OR state = 'failed'
                         OR state = 'given_up' OR state = 'cancelled'),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner     TEXT,
  lease_until     INTEGER,
  provider_id     TEXT,
  error_code      TEXT,
  error           TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  done_day        TEXT,
  read_at         INTEGER,
  to_cipher       BLOB,
  params_cipher   BLOB
);
INSERT INTO outbox_lean (id, dedup_key, kind, channel, member_id, user_id, org_path, template, params, title, body,
  link, state, attempts, next_attempt_at, lease_owner, lease_until, provider_id, error_code, error, created_at,
  updated_at, done_day, read_at, to_cipher, params_cipher)
SELECT id, dedup_key, kind, channel, member_id, user_id, org_path, template, params, title, body,
  link, state, attempts, next_attempt_at, lease_owner, lease_until, provider_id, error_code, error, created_at,
  updated_at, done_day, read_at, to_cipher, params_cipher FROM outbox ORDER BY id;
DROP TABLE outbox;
ALTER TABLE outbox_lean RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_member ON outbox (member_id, channel, id);
CREATE INDEX outbox_user ON outbox (user_id, channel, id) WHERE user_id IS NOT NULL;
CREATE INDEX outbox_done ON outbox (done_day, channel, state);
CREATE INDEX outbox_kind ON outbox (kind, state) WHERE channel <> 'inapp';
CREATE INDEX members_normal ON members (org_path, id) WHERE state = 'normal';
