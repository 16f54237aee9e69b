-- 0075_messages: the outbox (every message a row first), its settings, members'
-- opt-outs, and the scheduler's run records (issue 16). A message is one row per
-- (recipient, channel) with a dedup_key that is UNIQUE: whoever enqueues the same key
-- twice (a catch-up run, a second server, a retried request) adds nothing. The sender
-- claims queued rows whose next_attempt_at has come (state 'sending', lease_owner and
-- lease_until: the claiming process and the second until which the row is its own),
-- and ends them sent, failed (a permanent refusal, or an interrupted send whose outcome
-- is unknown: never sent again by itself), given_up (retries exhausted) or cancelled
-- (opted out after it was queued). done_day is the Beijing date of that end: the
-- monitor's per-day counts and the per-member daily cap read it.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  dedup_key       TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,
  channel         TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'inapp')),
  member_id       INTEGER,
  user_id         INTEGER,
  org_path        TEXT NOT NULL DEFAULT '/',
  template        TEXT NOT NULL,
  params          TEXT NOT NULL DEFAULT '{}',
  title           TEXT NOT NULL DEFAULT '',
  body            TEXT NOT NULL DEFAULT '',
  link            TEXT,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'given_up', 'cancelled')),
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
  read_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_member ON outbox (member_id, channel, id);
CREATE INDEX outbox_user ON outbox (user_id, channel, id);
CREATE INDEX outbox_done ON outbox (done_day, channel, state);
CREATE INDEX outbox_kind ON outbox (kind, state);

-- Message settings (quiet hours, caps, providers' endpoints and template codes). A
-- secret (a provider's key) is never kept here in clear: it is dj_seal'ed with the key
-- in the key directory and only its ciphertext is stored (sealed; value NULL).
CREATE TABLE message_settings (
  key         TEXT NOT NULL PRIMARY KEY,
  value       TEXT,
  sealed      BLOB,
  updated_at  INTEGER NOT NULL
);

-- A member's opt-out of one kind of message (birthday, term_due, study, notice).
CREATE TABLE message_optouts (
  member_id   INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (member_id, kind)
);

-- One row per run of a scheduled slot: the slot's claim (schedule_claims, 0001) is
-- written in the same transaction as the run's work, so a run that fails or dies
-- leaves no claim and the slot is run again; a run that succeeded is never repeated.
CREATE TABLE schedule_runs (
  id          INTEGER PRIMARY KEY,
  slot        TEXT NOT NULL,
  slot_key    TEXT NOT NULL,
  server      TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
  detail      TEXT
);
CREATE INDEX schedule_runs_slot ON schedule_runs (slot, id);
