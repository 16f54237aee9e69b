-- 0082_base_checkin_codes (PostgreSQL form of sql/sqlite/0082_base_checkin_codes.sql):
-- the code a base shows on its visit day (as text or a QR code) with which the visiting
-- members check themselves in on their phones. Only a keyed hash of the code is kept;
-- it ends at expires_at.
CREATE TABLE base_checkin_codes (
  booking_id  BIGINT NOT NULL UNIQUE REFERENCES base_bookings(id) DEFERRABLE INITIALLY IMMEDIATE,
  code_hash   BYTEA NOT NULL UNIQUE,
  expires_at  BIGINT NOT NULL,
  created_at  BIGINT NOT NULL
);
