-- 0117_base_calendar_rev: a revision of what a base's month calendar shows (issue 17's
-- calendar at ≤ 10 ms): raised in the same transaction as every write to the bookings,
-- the bases, their closed days and the working-day calendar's days, so that a calendar
-- built at one revision (and day: past days and the booking window age) stays exact
-- for any snapshot at that revision: the server keeps the built calendars
-- (api/bases.c), as the transfers' counts (0065 transfer_rev).
CREATE TABLE base_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO base_rev (id, rev, epoch) VALUES (1, 0, abs(random()));
CREATE TRIGGER base_bookings_rev_insert AFTER INSERT ON base_bookings
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER base_bookings_rev_update AFTER UPDATE ON base_bookings
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER base_bookings_rev_delete AFTER DELETE ON base_bookings
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER bases_rev_insert AFTER INSERT ON bases
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER bases_rev_update AFTER UPDATE ON bases
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER bases_rev_delete AFTER DELETE ON bases
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER base_closed_days_rev_insert AFTER INSERT ON base_closed_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER base_closed_days_rev_update AFTER UPDATE ON base_closed_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER base_closed_days_rev_delete AFTER DELETE ON base_closed_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER calendar_days_base_rev_insert AFTER INSERT ON calendar_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER calendar_days_base_rev_update AFTER UPDATE ON calendar_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER calendar_days_base_rev_delete AFTER DELETE ON calendar_days
BEGIN
  UPDATE base_rev SET rev = rev + 1 WHERE id = 1;
END;
