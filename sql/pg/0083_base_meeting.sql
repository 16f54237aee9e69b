-- 0083_base_meeting (PostgreSQL form of sql/sqlite/0083_base_meeting.sql): the 主题党日
-- record (meetings, 0070+) a visit became, so that one visit becomes one record.
ALTER TABLE base_bookings ADD COLUMN meeting_id BIGINT;
