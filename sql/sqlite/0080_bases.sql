-- 0080_bases: 开放式组织生活基地 (issue 17, DOMAIN.md §7): bases run by an organization,
-- bookings made by organizations (a batch with a headcount), the visit's roster,
-- recurring series and the iCalendar feed tokens.
--
-- bases.hours: JSON array of 7 entries, Monday first, each null (closed) or
-- [opens, closes] in minutes after midnight; slots start at opens every slot_minutes.
-- offers: JSON array of codes (讲解, 党课, 重温入党誓词). lat_e6/lng_e6: the map point in
-- micro-degrees (GCJ-02 as Chinese maps give it).
CREATE TABLE bases (
  id                INTEGER PRIMARY KEY,
  org_id            INTEGER NOT NULL REFERENCES orgs(id),
  name              TEXT NOT NULL,
  kind              TEXT NOT NULL,
  address           TEXT NOT NULL,
  lat_e6            INTEGER,
  lng_e6            INTEGER,
  capacity          INTEGER NOT NULL CHECK (capacity > 0),
  slot_minutes      INTEGER NOT NULL CHECK (slot_minutes > 0),
  hours             TEXT NOT NULL,
  offers            TEXT NOT NULL DEFAULT '[]',
  description       TEXT,
  contact_name      TEXT,
  contact_phone     TEXT,
  approval_required INTEGER NOT NULL DEFAULT 1 CHECK (approval_required IN (0, 1)),
  status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX bases_org ON bases (org_id);

-- The base's own closed days (until the district working-day calendar lands).
CREATE TABLE base_closed_days (
  base_id  INTEGER NOT NULL REFERENCES bases(id),
  day      TEXT NOT NULL,
  reason   TEXT,
  PRIMARY KEY (base_id, day)
);

CREATE TABLE base_series (
  id          INTEGER PRIMARY KEY,
  base_id     INTEGER NOT NULL REFERENCES bases(id),
  org_id      INTEGER NOT NULL REFERENCES orgs(id),
  rule        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

-- A booking holds its slot's places while requested, approved or checked in; a
-- waitlisted one holds none and is promoted in id order when places free up.
CREATE TABLE base_bookings (
  id             INTEGER PRIMARY KEY,
  base_id        INTEGER NOT NULL REFERENCES bases(id),
  org_id         INTEGER NOT NULL REFERENCES orgs(id),
  org_path       TEXT NOT NULL,
  series_id      INTEGER REFERENCES base_series(id),
  day            TEXT NOT NULL,
  slot_start     INTEGER NOT NULL,
  slot_end       INTEGER NOT NULL,
  headcount      INTEGER NOT NULL CHECK (headcount > 0),
  purpose        TEXT NOT NULL,
  leader         TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'declined', 'checked_in',
                                                 'completed', 'no_show', 'cancelled', 'waitlisted')),
  decline_reason TEXT,
  attended       INTEGER,
  created_by     INTEGER,
  decided_by     INTEGER,
  checked_in_at  INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
-- the slot's places and a month's calendar: one range over (base, day), covering
CREATE INDEX base_bookings_slot ON base_bookings (base_id, day, slot_start, status, headcount);
CREATE INDEX base_bookings_org ON base_bookings (org_path, day);
CREATE INDEX base_bookings_org_id ON base_bookings (org_id, day);

-- The visit's roster: members named at booking (planned) and those present.
CREATE TABLE base_booking_members (
  booking_id  INTEGER NOT NULL REFERENCES base_bookings(id),
  member_id   INTEGER NOT NULL REFERENCES members(id),
  present     INTEGER NOT NULL DEFAULT 0 CHECK (present IN (0, 1)),
  checked_at  INTEGER,
  PRIMARY KEY (booking_id, member_id)
);

-- iCalendar feeds: only a hash of the 256-bit token is kept; revoked_at ends it.
CREATE TABLE base_feeds (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('base', 'org')),
  object_id   INTEGER NOT NULL,
  token_hash  BLOB NOT NULL UNIQUE,
  created_by  INTEGER,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX base_feeds_object ON base_feeds (kind, object_id);
