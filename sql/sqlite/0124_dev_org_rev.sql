-- 0124_dev_org_rev: the revision of 发展党员's records (dev_applicants), raised in the same
-- transaction as every change of them, so that the development statistics computed
-- at one revision stay exact for any snapshot at that revision: the server caches them
-- (model/revcache.h, model/dev.c dev_stats_range), as it does the transfers' counts.
CREATE TABLE dev_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO dev_rev (id, rev, epoch) VALUES (1, 0, abs(random()));
CREATE TRIGGER dev_applicants_rev_insert AFTER INSERT ON dev_applicants
BEGIN
  UPDATE dev_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER dev_applicants_rev_update AFTER UPDATE ON dev_applicants
BEGIN
  UPDATE dev_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER dev_applicants_rev_delete AFTER DELETE ON dev_applicants
BEGIN
  UPDATE dev_rev SET rev = rev + 1 WHERE id = 1;
END;
