-- 0131_base_bookings_lean: see sql/sqlite/0131_base_bookings_lean.sql. An insert into
-- base_bookings no longer raises base_rev (a calendar's revision reads the bookings'
-- highest id too: the writer lock of every write transaction orders the identity's
-- values as the commits); base_bookings_org_id served only the foreign key's check.
DROP TRIGGER base_bookings_rev_insert ON base_bookings;
DROP INDEX base_bookings_org_id;
