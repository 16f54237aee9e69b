-- 0122_meeting_rev: a revision of what the R-MTG-01 compliance pass reads (the held
-- records, the exemptions, the organizations' tree and types), raised by triggers in the
-- same transaction as every such write, so that the pass's result for a subtree, year
-- and day is kept at a revision (src/model/ind_meetings.c: meetings.compliance_rate on
-- 首页 and in the report) and stays exact for every snapshot at it. A record's 调阅
-- (view_count) and its text do not raise it.
CREATE TABLE meeting_rev (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  rev INTEGER NOT NULL
);
INSERT INTO meeting_rev (id, rev) VALUES (1, 0);

CREATE TRIGGER meeting_rev_ins AFTER INSERT ON meetings
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_del AFTER DELETE ON meetings
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_upd AFTER UPDATE OF org_id, org_path, type, status, held_on, held_ym ON meetings
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_ex_ins AFTER INSERT ON meeting_exemptions
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_ex_del AFTER DELETE ON meeting_exemptions
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_ex_upd AFTER UPDATE ON meeting_exemptions
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_org_ins AFTER INSERT ON orgs
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_org_del AFTER DELETE ON orgs
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_rev_org_upd AFTER UPDATE OF type, parent_id, path ON orgs
BEGIN UPDATE meeting_rev SET rev = rev + 1 WHERE id = 1; END;
