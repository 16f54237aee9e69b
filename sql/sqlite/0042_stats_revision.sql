-- 0042_stats_revision: the members' revision (0040) also rises when what the statistics
-- count changes without a member moving: a member's packed statistics fields
-- (stats_key: party status, sex, ethnicity, education, birth date, on/off the roster),
-- the membership state, or an organization's domain. Statistics computed at one
-- revision are then exact for every snapshot at that revision, and the server caches
-- them (src/model/stats.c) like the list totals.
CREATE TRIGGER members_stats_changed AFTER UPDATE OF stats_key, state ON members
WHEN OLD.stats_key IS NOT NEW.stats_key OR OLD.state IS NOT NEW.state
BEGIN
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;

CREATE TRIGGER orgs_domain_changed AFTER UPDATE OF domain ON orgs
WHEN OLD.domain IS NOT NEW.domain
BEGIN
  UPDATE member_rev SET rev = rev + 1 WHERE id = 1;
END;
