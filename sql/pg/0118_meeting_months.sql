-- 0118_meeting_months: the months of a year in which an organization held a counted
-- meeting (submitted or approved) of a type, as bits (bit m-1: month m), kept by
-- triggers in the writer's transaction. The compliance pass (R-MTG-01's heat-map of a
-- district, issue 15: ≤ 200 ms) reads one row per (organization, type, year) instead of
-- every meeting: ~240,000 rows for 1,300,000 meetings in the bench district.
CREATE TABLE meeting_months (
  org_id    BIGINT NOT NULL,
  type      BIGINT NOT NULL,
  year      BIGINT NOT NULL,
  org_path  TEXT NOT NULL,
  mask      BIGINT NOT NULL,
  PRIMARY KEY (org_id, type, year)
);
-- a subtree's rows of a year, covering (the pass reads nothing else)
CREATE INDEX meeting_months_scan ON meeting_months (org_path, year, org_id, type, mask);
INSERT INTO meeting_months (org_id, type, year, org_path, mask)
  SELECT org_id, type, held_ym / 100, MAX(org_path), SUM(DISTINCT (1::bigint << CAST(held_ym % 100 - 1 AS INTEGER)))
  FROM meetings WHERE status IN ('submitted', 'approved') AND held_ym > 0 GROUP BY org_id, type, held_ym / 100;
-- the bits of (organization, type, year) recounted from the meetings
CREATE FUNCTION meeting_months_of(o BIGINT, t BIGINT, y BIGINT) RETURNS BIGINT LANGUAGE sql STABLE AS $$
  SELECT COALESCE(SUM(DISTINCT (1::bigint << CAST(m.held_ym % 100 - 1 AS INTEGER))), 0)::bigint FROM meetings m
  WHERE m.org_id = o AND m.held_ym >= y * 100 + 1 AND m.held_ym <= y * 100 + 12 AND m.type = t
    AND m.status IN ('submitted', 'approved')
$$;
-- a new counted meeting sets its month's bit; a change or a removal recounts the old
-- and the new (organization, type, year); the new one carries the path
CREATE FUNCTION meetings_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.held_ym > 0 AND NEW.status IN ('submitted', 'approved') THEN
      INSERT INTO meeting_months (org_id, type, year, org_path, mask)
        VALUES (NEW.org_id, NEW.type, NEW.held_ym / 100, NEW.org_path, 1::bigint << CAST(NEW.held_ym % 100 - 1 AS INTEGER))
        ON CONFLICT (org_id, type, year) DO UPDATE SET mask = meeting_months.mask | excluded.mask,
          org_path = excluded.org_path;
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.held_ym > 0 THEN
      UPDATE meeting_months SET mask = meeting_months_of(OLD.org_id, OLD.type, OLD.held_ym / 100)
        WHERE org_id = OLD.org_id AND type = OLD.type AND year = OLD.held_ym / 100;
    END IF;
    RETURN NULL;
  END IF;
  IF OLD.held_ym > 0 THEN
    INSERT INTO meeting_months (org_id, type, year, org_path, mask)
      VALUES (OLD.org_id, OLD.type, OLD.held_ym / 100, OLD.org_path, meeting_months_of(OLD.org_id, OLD.type, OLD.held_ym / 100))
      ON CONFLICT (org_id, type, year) DO UPDATE SET mask = excluded.mask;
  END IF;
  IF NEW.held_ym > 0 THEN
    INSERT INTO meeting_months (org_id, type, year, org_path, mask)
      VALUES (NEW.org_id, NEW.type, NEW.held_ym / 100, NEW.org_path, meeting_months_of(NEW.org_id, NEW.type, NEW.held_ym / 100))
      ON CONFLICT (org_id, type, year) DO UPDATE SET mask = excluded.mask, org_path = excluded.org_path;
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER meetings_months_insert AFTER INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION meetings_months();
CREATE TRIGGER meetings_months_update AFTER UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION meetings_months();
CREATE TRIGGER meetings_months_delete AFTER DELETE ON meetings FOR EACH ROW EXECUTE FUNCTION meetings_months();
