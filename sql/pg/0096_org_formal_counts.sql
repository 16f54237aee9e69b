-- 0096_org_formal_counts: each organization's own count of 正式党员 on the roster
-- (members whose stats_key has MSK_FORMAL | MSK_IN_ROSTER = 65), kept by the same
-- triggers as n_members (0040), so that the R-ORG alerts over a subtree (a branch
-- needs 7 正式党员 for a committee, R-ORG-04/05) read one row per organization instead
-- of grouping the subtree's members: at the bench district's root, 100,000 rows
-- instead of 1,000,000 (issue 19: the dashboard).
-- PostgreSQL form of sql/sqlite/0096_org_formal_counts.sql: the statement triggers of
-- 0040 count the formal members of their transition tables too.
ALTER TABLE orgs ADD COLUMN n_formal BIGINT NOT NULL DEFAULT 0;

UPDATE orgs SET n_formal = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id AND (m.stats_key & 65) = 65);

CREATE OR REPLACE FUNCTION members_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n BIGINT;
BEGIN
  SELECT COUNT(*) INTO n FROM new_members;
  IF n > 0 THEN
    UPDATE orgs o SET n_members = o.n_members + c.n, n_formal = o.n_formal + c.f
      FROM (SELECT org_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE (stats_key & 65) = 65) AS f
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
    UPDATE orgs o SET n_members = o.n_members - c.n, n_formal = o.n_formal - c.f
      FROM (SELECT org_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE (stats_key & 65) = 65) AS f
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
    UPDATE orgs SET n_members = 0, n_formal = 0 WHERE n_members <> 0 OR n_formal <> 0;
    UPDATE member_rev SET rev = rev + n WHERE id = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION members_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orgs SET n_members = n_members - 1,
         n_formal = n_formal - CASE WHEN (OLD.stats_key & 65) = 65 THEN 1 ELSE 0 END
   WHERE id = OLD.org_id;
  UPDATE orgs SET n_members = n_members + 1,
         n_formal = n_formal + CASE WHEN (NEW.stats_key & 65) = 65 THEN 1 ELSE 0 END
   WHERE id = NEW.org_id;
  PERFORM member_rev_pending_add(1);
  RETURN NULL;
END;
$$;

-- a member becomes or stops being a 正式党员 on the roster, in the same organization
CREATE FUNCTION members_formal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orgs SET n_formal = n_formal + CASE WHEN (NEW.stats_key & 65) = 65 THEN 1 ELSE -1 END
   WHERE id = NEW.org_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER members_formal_changed AFTER UPDATE OF stats_key ON members
  FOR EACH ROW WHEN (OLD.org_id IS NOT DISTINCT FROM NEW.org_id
                     AND ((OLD.stats_key & 65) = 65) IS DISTINCT FROM ((NEW.stats_key & 65) = 65))
  EXECUTE FUNCTION members_formal_changed();

-- and its current committee's size (members without an end date), kept by triggers on
-- org_committee, for the same alerts (R-ORG-04/05)
ALTER TABLE orgs ADD COLUMN n_committee BIGINT NOT NULL DEFAULT 0;

UPDATE orgs SET n_committee = (SELECT COUNT(*) FROM org_committee c WHERE c.org_id = orgs.id AND c.ended_on IS NULL);

CREATE FUNCTION org_committee_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.ended_on IS NULL THEN
    UPDATE orgs SET n_committee = n_committee - 1 WHERE id = OLD.org_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.ended_on IS NULL THEN
    UPDATE orgs SET n_committee = n_committee + 1 WHERE id = NEW.org_id;
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER org_committee_count_insert AFTER INSERT ON org_committee
  FOR EACH ROW EXECUTE FUNCTION org_committee_count();
CREATE TRIGGER org_committee_count_delete AFTER DELETE ON org_committee
  FOR EACH ROW EXECUTE FUNCTION org_committee_count();
CREATE TRIGGER org_committee_count_update AFTER UPDATE OF org_id, ended_on ON org_committee
  FOR EACH ROW EXECUTE FUNCTION org_committee_count();
