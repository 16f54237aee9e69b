-- 0121_meeting_month_counts: the meetings' figures of the yearly report and 首页 (issue
-- 19) kept as counters, so that a district's year is a few hundred rows, not a pass over
-- its 1.3M records. One row per (organization path of the record's organization or any
-- organization above it, month YYYYMM of held_on, type): how many records are held
-- (submitted or approved, as src/model/ind_meetings.c counts them) and the sum of
-- present_count × hours_x10. Kept by the triggers below on every write to meetings; a
-- period's whole months are read here, its partial months from meetings_held.
CREATE TABLE meeting_month_counts (
  anc_path TEXT NOT NULL,
  ym       INTEGER NOT NULL,
  type     INTEGER NOT NULL,
  n        INTEGER NOT NULL,
  hours    INTEGER NOT NULL,
  PRIMARY KEY (anc_path, ym, type)
);
-- the positions 1..1024 in an organization path: the path's ancestors are its prefixes
-- ending at a '/' (SQLite allows no WITH clause in a trigger)
CREATE TABLE path_positions (k INTEGER PRIMARY KEY);
WITH RECURSIVE p(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM p WHERE k < 1024)
INSERT INTO path_positions (k) SELECT k FROM p;
-- a period's partial months: the held records of a range of days, by day first
CREATE INDEX meetings_held ON meetings (held_on, org_path, type, present_count, hours_x10)
  WHERE status IN ('submitted', 'approved');

INSERT INTO meeting_month_counts (anc_path, ym, type, n, hours)
SELECT substr(m.org_path, 1, p.k), CAST(substr(m.held_on, 1, 4) || substr(m.held_on, 6, 2) AS INTEGER), m.type,
       COUNT(*), SUM(m.present_count * m.hours_x10)
FROM meetings m JOIN path_positions p ON p.k >= 2 AND p.k <= length(m.org_path) AND substr(m.org_path, p.k, 1) = '/'
WHERE m.status IN ('submitted', 'approved') AND m.held_on IS NOT NULL
GROUP BY 1, 2, 3;

CREATE TRIGGER meetings_month_counts_ins AFTER INSERT ON meetings
WHEN NEW.status IN ('submitted', 'approved') AND NEW.held_on IS NOT NULL
BEGIN
  INSERT INTO meeting_month_counts (anc_path, ym, type, n, hours)
  SELECT substr(NEW.org_path, 1, k), CAST(substr(NEW.held_on, 1, 4) || substr(NEW.held_on, 6, 2) AS INTEGER), NEW.type,
         1, NEW.present_count * NEW.hours_x10
  FROM path_positions WHERE k >= 2 AND k <= length(NEW.org_path) AND substr(NEW.org_path, k, 1) = '/'
  ON CONFLICT (anc_path, ym, type) DO UPDATE SET n = n + excluded.n, hours = hours + excluded.hours;
END;

CREATE TRIGGER meetings_month_counts_del AFTER DELETE ON meetings
WHEN OLD.status IN ('submitted', 'approved') AND OLD.held_on IS NOT NULL
BEGIN
  INSERT INTO meeting_month_counts (anc_path, ym, type, n, hours)
  SELECT substr(OLD.org_path, 1, k), CAST(substr(OLD.held_on, 1, 4) || substr(OLD.held_on, 6, 2) AS INTEGER), OLD.type,
         -1, -(OLD.present_count * OLD.hours_x10)
  FROM path_positions WHERE k >= 2 AND k <= length(OLD.org_path) AND substr(OLD.org_path, k, 1) = '/'
  ON CONFLICT (anc_path, ym, type) DO UPDATE SET n = n + excluded.n, hours = hours + excluded.hours;
END;

CREATE TRIGGER meetings_month_counts_upd AFTER UPDATE OF status, org_path, held_on, type, present_count, hours_x10 ON meetings
BEGIN
  INSERT INTO meeting_month_counts (anc_path, ym, type, n, hours)
  SELECT substr(OLD.org_path, 1, k), CAST(substr(OLD.held_on, 1, 4) || substr(OLD.held_on, 6, 2) AS INTEGER), OLD.type,
         -1, -(OLD.present_count * OLD.hours_x10)
  FROM path_positions WHERE OLD.status IN ('submitted', 'approved') AND OLD.held_on IS NOT NULL
    AND k >= 2 AND k <= length(OLD.org_path) AND substr(OLD.org_path, k, 1) = '/'
  ON CONFLICT (anc_path, ym, type) DO UPDATE SET n = n + excluded.n, hours = hours + excluded.hours;
  INSERT INTO meeting_month_counts (anc_path, ym, type, n, hours)
  SELECT substr(NEW.org_path, 1, k), CAST(substr(NEW.held_on, 1, 4) || substr(NEW.held_on, 6, 2) AS INTEGER), NEW.type,
         1, NEW.present_count * NEW.hours_x10
  FROM path_positions WHERE NEW.status IN ('submitted', 'approved') AND NEW.held_on IS NOT NULL
    AND k >= 2 AND k <= length(NEW.org_path) AND substr(NEW.org_path, k, 1) = '/'
  ON CONFLICT (anc_path, ym, type) DO UPDATE SET n = n + excluded.n, hours = hours + excluded.hours;
END;
