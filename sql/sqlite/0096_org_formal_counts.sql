-- 0096_org_formal_counts: each organization's own count of 正式党员 on the roster
-- (members whose stats_key has MSK_FORMAL | MSK_IN_ROSTER = 65), kept by the same
-- triggers as n_members (0040), so that the R-ORG alerts over a subtree (a branch
-- needs 7 正式党员 for a committee, R-ORG-04/05) read one row per organization instead
-- of grouping the subtree's members: at the bench district's root, 100,000 rows
-- instead of 1,000,000 (issue 19: the dashboard).
ALTER TABLE orgs ADD COLUMN n_formal INTEGER NOT NULL DEFAULT 0;

UPDATE orgs SET n_formal = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id AND (m.stats_key & 65) = 65);

DROP TRIGGER members_count_insert;
CREATE TRIGGER members_count_insert AFTER INSERT ON members
BEGIN
  UPDATE orgs SET n_members = n_members + 1, n_formal = n_formal + ((NEW.stats_key & 65) = 65)
   WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

DROP TRIGGER members_count_delete;
CREATE TRIGGER members_count_delete AFTER DELETE ON members
BEGIN
  UPDATE orgs SET n_members = n_members - 1, n_formal = n_formal - ((OLD.stats_key & 65) = 65)
   WHERE id = OLD.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

DROP TRIGGER members_count_move;
CREATE TRIGGER members_count_move AFTER UPDATE OF org_id ON members
WHEN OLD.org_id IS NOT NEW.org_id
BEGIN
  UPDATE orgs SET n_members = n_members - 1, n_formal = n_formal - ((OLD.stats_key & 65) = 65)
   WHERE id = OLD.org_id;
  UPDATE orgs SET n_members = n_members + 1, n_formal = n_formal + ((NEW.stats_key & 65) = 65)
   WHERE id = NEW.org_id;
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

-- a member becomes or stops being a 正式党员 on the roster, in the same organization
CREATE TRIGGER members_formal_changed AFTER UPDATE OF stats_key ON members
WHEN OLD.org_id IS NEW.org_id AND ((OLD.stats_key & 65) = 65) IS NOT ((NEW.stats_key & 65) = 65)
BEGIN
  UPDATE orgs SET n_formal = n_formal + ((NEW.stats_key & 65) = 65) - ((OLD.stats_key & 65) = 65)
   WHERE id = NEW.org_id;
END;

-- and its current committee's size (members without an end date), kept by triggers on
-- org_committee, for the same alerts (R-ORG-04/05)
ALTER TABLE orgs ADD COLUMN n_committee INTEGER NOT NULL DEFAULT 0;

UPDATE orgs SET n_committee = (SELECT COUNT(*) FROM org_committee c WHERE c.org_id = orgs.id AND c.ended_on IS NULL);

CREATE TRIGGER org_committee_count_insert AFTER INSERT ON org_committee
WHEN NEW.ended_on IS NULL
BEGIN
  UPDATE orgs SET n_committee = n_committee + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER org_committee_count_delete AFTER DELETE ON org_committee
WHEN OLD.ended_on IS NULL
BEGIN
  UPDATE orgs SET n_committee = n_committee - 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER org_committee_count_update AFTER UPDATE OF org_id, ended_on ON org_committee
BEGIN
  UPDATE orgs SET n_committee = n_committee - (OLD.ended_on IS NULL) WHERE id = OLD.org_id;
  UPDATE orgs SET n_committee = n_committee + (NEW.ended_on IS NULL) WHERE id = NEW.org_id;
END;
