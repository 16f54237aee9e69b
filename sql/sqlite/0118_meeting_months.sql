-- 0118_meeting_months: the months of a year in which an organization held a counted
-- meeting (submitted or approved) of a type, as bits (bit m-1: month m), kept by
-- triggers in the writer's transaction. The compliance pass (R-MTG-01's heat-map of a
-- district, issue 15: ≤ 200 ms) reads one row per (organization, type, year) instead of
-- every meeting: ~240,000 rows for 1,300,000 meetings in the bench district.
CREATE TABLE meeting_months (
  org_id    INTEGER NOT NULL,
  type      INTEGER NOT NULL,
  year      INTEGER NOT NULL,
  org_path  TEXT NOT NULL,
  mask      INTEGER NOT NULL,
  PRIMARY KEY (org_id, type, year)
);
-- a subtree's rows of a year, covering (the pass reads nothing else)
CREATE INDEX meeting_months_scan ON meeting_months (org_path, year, org_id, type, mask);
INSERT INTO meeting_months (org_id, type, year, org_path, mask)
  SELECT org_id, type, held_ym / 100, MAX(org_path), SUM(DISTINCT 1 << (held_ym % 100 - 1)) FROM meetings
  WHERE status IN ('submitted', 'approved') AND held_ym > 0 GROUP BY org_id, type, held_ym / 100;
-- a new counted meeting sets its month's bit
CREATE TRIGGER meetings_months_insert AFTER INSERT ON meetings
  WHEN NEW.held_ym > 0 AND NEW.status IN ('submitted', 'approved')
BEGIN
  INSERT INTO meeting_months (org_id, type, year, org_path, mask)
    VALUES (NEW.org_id, NEW.type, NEW.held_ym / 100, NEW.org_path, 1 << (NEW.held_ym % 100 - 1))
    ON CONFLICT (org_id, type, year) DO UPDATE SET mask = mask | excluded.mask, org_path = excluded.org_path;
END;
-- a change or a removal recounts the old and the new (organization, type, year) from the
-- meetings (the organization's own, by meetings_org); the new one carries the path
CREATE TRIGGER meetings_months_update AFTER UPDATE ON meetings
BEGIN
  INSERT INTO meeting_months (org_id, type, year, org_path, mask)
    SELECT OLD.org_id, OLD.type, OLD.held_ym / 100, OLD.org_path,
      (SELECT COALESCE(SUM(DISTINCT 1 << (m.held_ym % 100 - 1)), 0) FROM meetings m WHERE m.org_id = OLD.org_id
        AND m.held_ym >= OLD.held_ym / 100 * 100 + 1 AND m.held_ym <= OLD.held_ym / 100 * 100 + 12
        AND m.type = OLD.type AND m.status IN ('submitted', 'approved'))
    WHERE OLD.held_ym > 0
    ON CONFLICT (org_id, type, year) DO UPDATE SET mask = excluded.mask;
  INSERT INTO meeting_months (org_id, type, year, org_path, mask)
    SELECT NEW.org_id, NEW.type, NEW.held_ym / 100, NEW.org_path,
      (SELECT COALESCE(SUM(DISTINCT 1 << (m.held_ym % 100 - 1)), 0) FROM meetings m WHERE m.org_id = NEW.org_id
        AND m.held_ym >= NEW.held_ym / 100 * 100 + 1 AND m.held_ym <= NEW.held_ym / 100 * 100 + 12
        AND m.type = NEW.type AND m.status IN ('submitted', 'approved'))
    WHERE NEW.held_ym > 0
    ON CONFLICT (org_id, type, year) DO UPDATE SET mask = excluded.mask, org_path = excluded.org_path;
END;
CREATE TRIGGER meetings_months_delete AFTER DELETE ON meetings
  WHEN OLD.held_ym > 0
BEGIN
  UPDATE meeting_months SET mask =
      (SELECT COALESCE(SUM(DISTINCT 1 << (m.held_ym % 100 - 1)), 0) FROM meetings m WHERE m.org_id = OLD.org_id
        AND m.held_ym >= OLD.held_ym / 100 * 100 + 1 AND m.held_ym <= OLD.held_ym / 100 * 100 + 12
        AND m.type = OLD.type AND m.status IN ('submitted', 'approved'))
    WHERE org_id = OLD.org_id AND type = OLD.type AND year = OLD.held_ym / 100;
END;
