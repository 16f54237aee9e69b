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

-- The organizations' revision, raised in the same transaction as every change of what
-- their lists filter on (path, parent, name, type, domain): a filtered list's total
-- (a name search over the district's 100,000 organizations, issue 20 #20) computed at
-- one revision stays exact for any snapshot at that revision (model/org_query.c).
-- The counters the roster's triggers keep on orgs (n_members, n_formal, …) do not
-- raise it.
CREATE TABLE org_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO org_rev (id, rev, epoch) VALUES (1, 0, abs(random()));
CREATE TRIGGER orgs_rev_insert AFTER INSERT ON orgs
BEGIN
  UPDATE org_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER orgs_rev_update AFTER UPDATE OF path, parent_id, name, type, domain ON orgs
BEGIN
  UPDATE org_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER orgs_rev_delete AFTER DELETE ON orgs
BEGIN
  UPDATE org_rev SET rev = rev + 1 WHERE id = 1;
END;
-- a name search's total counted from the index alone (no row of orgs read)
CREATE INDEX orgs_search ON orgs (path, name, type, domain, parent_id);
