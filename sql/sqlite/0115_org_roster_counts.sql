-- 0115_org_roster_counts: each organization's own count of members on the roster
-- (在册: stats_key has MSK_IN_ROSTER = 64), kept by the triggers that keep n_members
-- (0040) and n_formal (0096), so that a list's total in the default view (在册), and
-- with 正式党员 / 预备党员 (n_formal, n_roster − n_formal), is a sum over the subtree's
-- organizations read from one covering index (orgs_path_counts) instead of a pass over
-- the subtree's member index entries: ~500 entries instead of ~5,000 for a community
-- of the bench district, uncached (issue 21: a random organization per request missed
-- the 64-slot cache of those passes).
ALTER TABLE orgs ADD COLUMN n_roster INTEGER NOT NULL DEFAULT 0;

UPDATE orgs SET n_roster = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id AND (m.stats_key & 64) = 64);

CREATE INDEX orgs_path_counts ON orgs (path, n_members, n_roster, n_formal);

DROP TRIGGER members_count_insert;
CREATE TRIGGER members_count_insert AFTER INSERT ON members
BEGIN
  UPDATE orgs SET n_members = n_members + 1, n_formal = n_formal + ((NEW.stats_key & 65) = 65),
         n_roster = n_roster + ((NEW.stats_key & 64) = 64)
   WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

DROP TRIGGER members_count_delete;
CREATE TRIGGER members_count_delete AFTER DELETE ON members
BEGIN
  UPDATE orgs SET n_members = n_members - 1, n_formal = n_formal - ((OLD.stats_key & 65) = 65),
         n_roster = n_roster - ((OLD.stats_key & 64) = 64)
   WHERE id = OLD.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

DROP TRIGGER members_count_move;
CREATE TRIGGER members_count_move AFTER UPDATE OF org_id ON members
WHEN OLD.org_id IS NOT NEW.org_id
BEGIN
  UPDATE orgs SET n_members = n_members - 1, n_formal = n_formal - ((OLD.stats_key & 65) = 65),
         n_roster = n_roster - ((OLD.stats_key & 64) = 64)
   WHERE id = OLD.org_id;
  UPDATE orgs SET n_members = n_members + 1, n_formal = n_formal + ((NEW.stats_key & 65) = 65),
         n_roster = n_roster + ((NEW.stats_key & 64) = 64)
   WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

-- a member's 正式党员 or 在册 bit changes, in the same organization (0096's
-- members_formal_changed, for both counters)
DROP TRIGGER members_formal_changed;
CREATE TRIGGER members_key_counts AFTER UPDATE OF stats_key ON members
WHEN OLD.org_id IS NEW.org_id AND (OLD.stats_key & 65) IS NOT (NEW.stats_key & 65)
BEGIN
  UPDATE orgs SET n_formal = n_formal + ((NEW.stats_key & 65) = 65) - ((OLD.stats_key & 65) = 65),
         n_roster = n_roster + ((NEW.stats_key & 64) = 64) - ((OLD.stats_key & 64) = 64)
   WHERE id = NEW.org_id;
END;
