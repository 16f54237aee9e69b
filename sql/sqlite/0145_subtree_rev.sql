-- 0145_subtree_rev: a revision of each organization subtree's members and organizations
-- (issue 19, 首页 cold after a write). The row of every ancestor path of what changed
-- (the path's prefixes ending at '/', enumerated with 0121's path_positions) rises when
-- a member is added, removed or changed (any column: a move, what the statistics pass
-- counts, what the roster's list pages show), and when an organization is added, removed or changes
-- what its figures and R-ORG alerts read (path, parent, name, type, domain, 两新, term,
-- committee; its formal count n_formal changes only with a member, above). A path
-- without a row is at revision 0: nothing below it changed since this migration. The
-- roster's statistics and alerts of a subtree are then kept per path at its own revision
-- (model/ind_members.c), so that after one member write the district's figures recount
-- only the street the write was in, not 1M members.
CREATE TABLE subtree_rev (
  anc_path TEXT NOT NULL PRIMARY KEY,
  rev      INTEGER NOT NULL
);

CREATE TRIGGER members_subtree_rev_ins AFTER INSERT ON members
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(NEW.org_path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(NEW.org_path) AND substr(NEW.org_path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;

CREATE TRIGGER members_subtree_rev_del AFTER DELETE ON members
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(OLD.org_path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(OLD.org_path) AND substr(OLD.org_path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;

-- (any column: the roster's list pages of the subtree show most of them, and are kept at
-- this revision too (src/api/members.c); the old path and, when it moved, the new one)
CREATE TRIGGER members_subtree_rev_upd AFTER UPDATE ON members
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(OLD.org_path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(OLD.org_path) AND substr(OLD.org_path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(NEW.org_path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(NEW.org_path) AND substr(NEW.org_path, k, 1) = '/'
    AND NEW.org_path IS NOT OLD.org_path
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;

CREATE TRIGGER orgs_subtree_rev_ins AFTER INSERT ON orgs
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(NEW.path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(NEW.path) AND substr(NEW.path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;

CREATE TRIGGER orgs_subtree_rev_del AFTER DELETE ON orgs
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(OLD.path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(OLD.path) AND substr(OLD.path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;

CREATE TRIGGER orgs_subtree_rev_upd
AFTER UPDATE OF path, parent_id, name, type, domain, two_new, term_started_on, term_years, extended_until, n_committee ON orgs
WHEN OLD.path IS NOT NEW.path OR OLD.parent_id IS NOT NEW.parent_id OR OLD.name IS NOT NEW.name
  OR OLD.type IS NOT NEW.type OR OLD.domain IS NOT NEW.domain OR OLD.two_new IS NOT NEW.two_new
  OR OLD.term_started_on IS NOT NEW.term_started_on OR OLD.term_years IS NOT NEW.term_years
  OR OLD.extended_until IS NOT NEW.extended_until OR OLD.n_committee IS NOT NEW.n_committee
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(OLD.path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(OLD.path) AND substr(OLD.path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(NEW.path, 1, k), 1
  FROM path_positions WHERE k >= 2 AND k <= length(NEW.path) AND substr(NEW.path, k, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = rev + 1;
END;
