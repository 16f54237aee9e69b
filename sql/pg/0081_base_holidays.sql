-- 0081_base_holidays (PostgreSQL form of sql/sqlite/0081_base_holidays.sql): a base may
-- close on the statutory holidays of the district's working-day calendar
-- (calendar_days, 0060), on top of its weekly hours and its own closed days.
ALTER TABLE bases ADD COLUMN holidays_closed BIGINT NOT NULL DEFAULT 0;
