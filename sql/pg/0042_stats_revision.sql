-- 0042_stats_revision: the members' revision (0040) also rises when what the statistics
-- count changes without a member moving: a member's packed statistics fields
-- (stats_key: party status, sex, ethnicity, education, birth date, on/off the roster),
-- the membership state, or an organization's domain. Statistics computed at one
-- revision are then exact for every snapshot at that revision, and the server caches
-- them (src/model/stats.c) like the list totals. PostgreSQL form of
-- sql/sqlite/0042_stats_revision.sql (triggers as in 0040: a plpgsql function each;
-- members_stats_changed adds its bump to the statement's, which 0040's
-- members_rev_flush writes once when the UPDATE ends).
CREATE FUNCTION members_stats_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM member_rev_pending_add(1);
  RETURN NULL;
END;
$$;
CREATE TRIGGER members_stats_changed AFTER UPDATE OF stats_key, state ON members
  FOR EACH ROW WHEN (OLD.stats_key IS DISTINCT FROM NEW.stats_key OR OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION members_stats_changed();

-- an organization's domain changes one organization at a time: a row trigger that
-- writes member_rev itself, as SQLite's does
CREATE FUNCTION orgs_domain_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER orgs_domain_changed AFTER UPDATE OF domain ON orgs
  FOR EACH ROW WHEN (OLD.domain IS DISTINCT FROM NEW.domain)
  EXECUTE FUNCTION orgs_domain_changed();
