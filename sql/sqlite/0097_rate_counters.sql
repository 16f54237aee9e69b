-- 0097_rate_counters: one table of per-key window counters (svc_rate, 0085; model/rate.c).
-- The transfer letters' public verification counts its addresses there now (key
-- "verify:<address>", 60-second windows), so its own table of 0065 goes.
DROP TABLE transfer_verify_hits;
