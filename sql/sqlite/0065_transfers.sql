-- 0065_transfers: 组织关系接转 (DOMAIN.md §5, issue 14). One row per transfer with the
-- letter's fields copied at the time the letter is made (the receiving side reads these,
-- never the member's record, until it accepts); the ID number and mobile sealed as the
-- members' are (ad "transfer.id_number" / "transfer.mobile") with the members' blind
-- index of the ID number, so that a letter received on paper is checked against the
-- roster (R-TRF-03). kind: within (both sides here), out (to an organization elsewhere),
-- in (a paper letter from elsewhere). state (R-TRF-01): draft, submitted, approved,
-- sent, received, returned, receipt_returned, cancelled; "expired" is computed from
-- valid_until (R-TRF-02). open = 1 while the person is in transit (draft … sent): one
-- open transfer per member at most (transfers_member_open).
CREATE TABLE transfers (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('within', 'out', 'in')),
  state           TEXT NOT NULL,
  open            INTEGER NOT NULL DEFAULT 1,
  member_id       INTEGER,                   -- NULL for kind 'in' until accepted
  from_org_id     INTEGER REFERENCES orgs(id),
  from_path       TEXT,                      -- NULL for kind 'in'
  from_org_name   TEXT NOT NULL,
  to_org_id       INTEGER REFERENCES orgs(id),
  to_path         TEXT,                      -- NULL for kind 'out'
  to_org_name     TEXT NOT NULL,
  issuer_org_id   INTEGER REFERENCES orgs(id), -- the 基层党委 that issues the letter
  serial          TEXT UNIQUE,               -- ours: YYYY-<issuer>-NNNN, set at approval
  letter_no       TEXT,                      -- kind 'in': the paper letter's own number
  name            TEXT NOT NULL,
  sex             TEXT NOT NULL,
  birth_date      TEXT NOT NULL,
  ethnicity       TEXT NOT NULL,
  party_status    TEXT NOT NULL CHECK (party_status IN ('formal', 'probationary')),
  joined_on       TEXT NOT NULL,             -- 入党时间 = the 预备期's start (R-TRF-06)
  confirmed_on    TEXT,
  id_cipher       BLOB NOT NULL,
  id_blind        BLOB NOT NULL,
  id_masked       TEXT NOT NULL,
  mobile_cipher   BLOB,
  mobile_masked   TEXT,
  dues_paid_to    TEXT,                      -- R-TRF-04: the last paid month
  outside_city    INTEGER NOT NULL DEFAULT 0,
  validity_days   INTEGER NOT NULL,
  sent_on         TEXT,
  valid_until     TEXT,
  received_on     TEXT,
  receipt_on      TEXT,
  sender_address  TEXT,
  sender_phone    TEXT,
  reason          TEXT,
  return_reason   TEXT,
  prev_state      TEXT,                      -- the member's state before 转出（在途）
  renewals        INTEGER NOT NULL DEFAULT 0,
  applied_by_member INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX transfers_member_open ON transfers (member_id) WHERE open = 1;
CREATE INDEX transfers_from ON transfers (from_path, id);
CREATE INDEX transfers_to ON transfers (to_path, id);
CREATE INDEX transfers_open ON transfers (open, id);
-- covering the queues' counts by range without an OR of the two sides (20,000 open
-- letters: index-only counts, bench/capabilities/transfers.mjs)
CREATE INDEX transfers_open_from ON transfers (open, from_path, state, valid_until);
CREATE INDEX transfers_open_to ON transfers (open, to_path, state, from_path, valid_until);
CREATE INDEX transfers_received ON transfers (received_on);
CREATE INDEX transfers_state_received ON transfers (state, received_on);
CREATE INDEX transfers_id_blind ON transfers (id_blind);

-- the timeline: one row per step with its actor and time (R-TRF-01)
CREATE TABLE transfer_events (
  id           INTEGER PRIMARY KEY,
  transfer_id  INTEGER NOT NULL REFERENCES transfers(id),
  at           INTEGER NOT NULL,
  from_state   TEXT,
  to_state     TEXT NOT NULL,
  actor_id     INTEGER,
  actor_name   TEXT,
  note         TEXT
);
CREATE INDEX transfer_events_transfer ON transfer_events (transfer_id, id);

-- serial numbers per issuing committee and year
CREATE TABLE transfer_serials (
  issuer_org_id  INTEGER NOT NULL,
  year           INTEGER NOT NULL,
  last           INTEGER NOT NULL,
  PRIMARY KEY (issuer_org_id, year)
);

-- the public verification's rate limit: hits per client address per minute
CREATE TABLE transfer_verify_hits (
  ip      TEXT NOT NULL,
  minute  INTEGER NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (ip, minute)
);

-- a revision of the transfers, raised in the same transaction as every write to them,
-- so that the queues' counts computed at one revision (and day) stay exact for any
-- snapshot at that revision: the server caches them (model/revcache.h)
CREATE TABLE transfer_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO transfer_rev (id, rev, epoch) VALUES (1, 0, abs(random()));
CREATE TRIGGER transfers_rev_insert AFTER INSERT ON transfers
BEGIN
  UPDATE transfer_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER transfers_rev_update AFTER UPDATE ON transfers
BEGIN
  UPDATE transfer_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER transfers_rev_delete AFTER DELETE ON transfers
BEGIN
  UPDATE transfer_rev SET rev = rev + 1 WHERE id = 1;
END;
