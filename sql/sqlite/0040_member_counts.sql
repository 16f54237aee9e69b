-- 0040_member_counts: each organization's own member count, kept by triggers in the
-- same transaction as every write to members (insert, delete, a move to another
-- organization; bulk loads and imports included), so that a list page's unfiltered
-- `total` is a sum over the subtree's organizations read from one covering index
-- (orgs_path_members) instead of a count of its members: ~10,000 index entries for a
-- 10% subtree of a 1M-member district instead of ~100,000 (bench/results.md).
ALTER TABLE orgs ADD COLUMN n_members INTEGER NOT NULL DEFAULT 0;

UPDATE orgs SET n_members = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id);

CREATE INDEX orgs_path_members ON orgs (path, n_members);

-- a revision of the members' placement, raised in the same transaction as every change
-- to which organization (or path) a member belongs: a subtree's total computed at one
-- revision stays exact for any snapshot at that revision (the server caches it)
-- (epoch: random per database, so that one process's cache never mixes two databases)
CREATE TABLE member_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO member_rev (id, rev, epoch) VALUES (1, 0, abs(random()));

CREATE TRIGGER members_count_insert AFTER INSERT ON members
BEGIN
  UPDATE orgs SET n_members = n_members + 1 WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

CREATE TRIGGER members_count_delete AFTER DELETE ON members
BEGIN
  UPDATE orgs SET n_members = n_members - 1 WHERE id = OLD.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

CREATE TRIGGER members_count_move AFTER UPDATE OF org_id ON members
WHEN OLD.org_id IS NOT NEW.org_id
BEGIN
  UPDATE orgs SET n_members = n_members - 1 WHERE id = OLD.org_id;
  UPDATE orgs SET n_members = n_members + 1 WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

-- an organization moved: its members' paths are rewritten
CREATE TRIGGER members_path_moved AFTER UPDATE OF org_path ON members
WHEN OLD.org_path IS NOT NEW.org_path
BEGIN
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;
