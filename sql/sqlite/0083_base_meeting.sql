-- 0083_base_meeting: the 主题党日 record (meetings, 0070+) a visit became, so that one
-- visit becomes one record.
ALTER TABLE base_bookings ADD COLUMN meeting_id INTEGER;
