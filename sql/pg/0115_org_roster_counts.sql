-- 0115_org_roster_counts: each organization's own count of members on the roster
-- (在册: stats_key has MSK_IN_ROSTER = 64), kept by the triggers that keep n_members
-- (0040) and n_formal (0096), so that a list's total in the default view (在册), and
-- with 正式党员 / 预备党员 (n_formal, n_roster − n_formal), is a sum over the subtree's
-- organizations read from one covering index (orgs_path_counts) instead of a pass over
-- the subtree's member index entries. PostgreSQL form of
-- sql/sqlite/0115_org_roster_counts.sql: the statement triggers of 0040/0096 count the
-- roster members of their transition tables too.
ALTER TABLE orgs ADD COLUMN n_roster BIGINT NOT NULL DEFAULT 0;

UPDATE orgs SET n_roster = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id AND (m.stats_key & 64) = 64);

CREATE INDEX orgs_path_counts ON orgs (path, n_members, n_roster, n_formal);

CREATE OR REPLACE FUNCTION members_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n BIGINT;
BEGIN
  SELECT COUNT(*) INTO n FROM new_members;
  IF n > 0 THEN
    UPDATE orgs o SET n_members = o.n_members + c.n, n_formal = o.n_formal + c.f, n_roster = o.n_roster + c.r
      FROM (SELECT org_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE (stats_key & 65) = 65) AS f,
                   COUNT(*) FILTER (WHERE (stats_key & 64) = 64) AS r
              FROM new_members GROUP BY org_id) c
     WHERE o.id = c.org_id;
    UPDATE member_rev SET rev = rev + n WHERE id = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION members_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n BIGINT;
BEGIN
  SELECT COUNT(*) INTO n FROM old_members;
  IF n > 0 THEN
    UPDATE orgs o SET n_members = o.n_members - c.n, n_formal = o.n_formal - c.f, n_roster = o.n_roster - c.r
      FROM (SELECT org_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE (stats_key & 65) = 65) AS f,
                   COUNT(*) FILTER (WHERE (stats_key & 64) = 64) AS r
              FROM old_members GROUP BY org_id) c
     WHERE o.id = c.org_id;
    UPDATE member_rev SET rev = rev + n WHERE id = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION members_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n BIGINT;
BEGIN
  SELECT COUNT(*) INTO n FROM members;
  IF n > 0 THEN
    UPDATE orgs SET n_members = 0, n_formal = 0, n_roster = 0
     WHERE n_members <> 0 OR n_formal <> 0 OR n_roster <> 0;
    UPDATE member_rev SET rev = rev + n WHERE id = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION members_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orgs SET n_members = n_members - 1,
         n_formal = n_formal - CASE WHEN (OLD.stats_key & 65) = 65 THEN 1 ELSE 0 END,
         n_roster = n_roster - CASE WHEN (OLD.stats_key & 64) = 64 THEN 1 ELSE 0 END
   WHERE id = OLD.org_id;
  UPDATE orgs SET n_members = n_members + 1,
         n_formal = n_formal + CASE WHEN (NEW.stats_key & 65) = 65 THEN 1 ELSE 0 END,
         n_roster = n_roster + CASE WHEN (NEW.stats_key & 64) = 64 THEN 1 ELSE 0 END
   WHERE id = NEW.org_id;
  PERFORM member_rev_pending_add(1);
  RETURN NULL;
END;
$$;

-- a member's 正式党员 or 在册 bit changes, in the same organization (0096's
-- members_formal_changed, for both counters)
DROP TRIGGER members_formal_changed ON members;
DROP FUNCTION members_formal_changed();
CREATE FUNCTION members_key_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orgs SET
         n_formal = n_formal + CASE WHEN (NEW.stats_key & 65) = 65 THEN 1 ELSE 0 END
                             - CASE WHEN (OLD.stats_key & 65) = 65 THEN 1 ELSE 0 END,
         n_roster = n_roster + CASE WHEN (NEW.stats_key & 64) = 64 THEN 1 ELSE 0 END
                             - CASE WHEN (OLD.stats_key & 64) = 64 THEN 1 ELSE 0 END
   WHERE id = NEW.org_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER members_key_counts AFTER UPDATE OF stats_key ON members
  FOR EACH ROW WHEN (OLD.org_id IS NOT DISTINCT FROM NEW.org_id
                     AND (OLD.stats_key & 65) IS DISTINCT FROM (NEW.stats_key & 65))
  EXECUTE FUNCTION members_key_counts();
