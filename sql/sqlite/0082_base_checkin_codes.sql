-- 0082_base_checkin_codes: the code a base shows on its visit day (as text or a QR code)
-- with which the visiting members check themselves in on their phones. Only a keyed
-- hash of the code is kept; it ends at expires_at.
CREATE TABLE base_checkin_codes (
  booking_id  INTEGER NOT NULL UNIQUE REFERENCES base_bookings(id),
  code_hash   BLOB NOT NULL UNIQUE,
  expires_at  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
