-- 0127_meeting_list_rev: a revision of everything a meeting list page shows (any column of
-- a record, its organization's name), raised by triggers in the same transaction as every
-- such write, so that a built page is kept at a revision (src/api/meetings.c: a branch's
-- list, issue 15's p99 ≤ 10 ms) and stays exact for every snapshot at it. Unlike
-- meeting_rev (0122), a 调阅 (view_count) and a record's text raise it too: the page
-- shows them. The organizations' tree changes raise it through the records' org_path
-- (mtg_move_paths) or through the rename trigger.
CREATE TABLE meeting_list_rev (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  rev INTEGER NOT NULL
);
INSERT INTO meeting_list_rev (id, rev) VALUES (1, 0);

CREATE TRIGGER meeting_list_rev_ins AFTER INSERT ON meetings
BEGIN UPDATE meeting_list_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_list_rev_del AFTER DELETE ON meetings
BEGIN UPDATE meeting_list_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_list_rev_upd AFTER UPDATE ON meetings
BEGIN UPDATE meeting_list_rev SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_list_rev_org_upd AFTER UPDATE OF name ON orgs
BEGIN UPDATE meeting_list_rev SET rev = rev + 1 WHERE id = 1; END;
