-- 0131_base_bookings_lean: fewer pages written by a booking (issue 17's 1,000 bookings a
-- second at synchronous=FULL: the group commit's fsync writes every page each booking
-- dirtied, ~13 of 4 KiB, and its time grows with them).
-- The base_rev row is no longer raised by an insert into base_bookings: a month calendar's
-- revision is base_rev's with the bookings' highest id (model/base.c base_revision); an
-- insert always raises that id (writers are serialized on both stores, ids come in commit
-- order), updates and deletes still raise base_rev (0117).
-- base_bookings_org_id (org_id, day) served no query (lists and feeds of an organization
-- range over org_path): only the foreign key's check when an organization is deleted,
-- which now reads the bookings (one organization at a time, through the API).
DROP TRIGGER base_bookings_rev_insert;
DROP INDEX base_bookings_org_id;
