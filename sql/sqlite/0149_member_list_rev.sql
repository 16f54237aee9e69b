-- 0149_member_list_rev: a revision per organization of what its subtree's member list
-- pages show (any column of a member in the subtree, an organization's name or path in
-- it), raised by triggers in the same transaction as every such write, along the path
-- of the member's organization (every ancestor's row, the organization's own included):
-- a page built for an organization's subtree at its revision (src/api/members.c, issue
-- 21 #2: the page a branch secretary opens all day, kept per organization and query)
-- stays exact for every snapshot at that revision, and a write elsewhere in the
-- district leaves it be. A move between organizations raises both paths. An
-- organization without a row is at revision 0 (the key's epoch is member_rev's).
-- Not seeded: migrate-data copies its rows with the members they describe.
CREATE TABLE member_list_rev (
  org_id INTEGER PRIMARY KEY,
  rev    INTEGER NOT NULL
);

-- the ids of a path ('/1/2/7/') as a JSON array of texts ('["1","2","7"]') for json_each
-- (what is not a number is left: a path is written by the server, but a malformed one
-- must fail on the constraints that guard it, not here)
CREATE TRIGGER member_list_rev_ins AFTER INSERT ON members
BEGIN
  INSERT INTO member_list_rev (org_id, rev)
    SELECT DISTINCT CAST(value AS INTEGER), 1 FROM json_each('["' || replace(replace(replace(trim(NEW.org_path, '/'), '"', ''), '\', ''), '/', '","') || '"]')
      WHERE value <> '' AND value NOT GLOB '*[^0-9]*'
    ON CONFLICT (org_id) DO UPDATE SET rev = rev + 1;
END;

CREATE TRIGGER member_list_rev_del AFTER DELETE ON members
BEGIN
  INSERT INTO member_list_rev (org_id, rev)
    SELECT DISTINCT CAST(value AS INTEGER), 1 FROM json_each('["' || replace(replace(replace(trim(OLD.org_path, '/'), '"', ''), '\', ''), '/', '","') || '"]')
      WHERE value <> '' AND value NOT GLOB '*[^0-9]*'
    ON CONFLICT (org_id) DO UPDATE SET rev = rev + 1;
END;

-- (a member's own page: any column, the list shows most; an unchanged row costs a raise)
CREATE TRIGGER member_list_rev_upd AFTER UPDATE ON members
BEGIN
  INSERT INTO member_list_rev (org_id, rev)
    SELECT DISTINCT CAST(value AS INTEGER), 1 FROM json_each('["' || replace(replace(replace(OLD.org_path || NEW.org_path, '"', ''), '\', ''), '/', '","') || '"]')
      WHERE value <> '' AND value NOT GLOB '*[^0-9]*'
    ON CONFLICT (org_id) DO UPDATE SET rev = rev + 1;
END;

-- a row shows its organization's name; a moved organization's members' paths are
-- rewritten (the trigger above), its own path here
CREATE TRIGGER member_list_rev_org AFTER UPDATE OF name, path ON orgs
WHEN OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path
BEGIN
  INSERT INTO member_list_rev (org_id, rev)
    SELECT DISTINCT CAST(value AS INTEGER), 1 FROM json_each('["' || replace(replace(replace(OLD.path || NEW.path, '"', ''), '\', ''), '/', '","') || '"]')
      WHERE value <> '' AND value NOT GLOB '*[^0-9]*'
    ON CONFLICT (org_id) DO UPDATE SET rev = rev + 1;
END;
