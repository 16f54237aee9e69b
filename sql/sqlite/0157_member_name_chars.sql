-- 0157_member_name_chars: each character of each member's name, with what a list page's
-- ids are chosen by (issue 21 #3: 姓名含“张” at the district's root). A name search
-- ("contains") otherwise passes every index entry of the subtree: 1M entries at the root
-- for the total, and nearly as many for a first page by 姓名 (张 sorts under "zhang",
-- at the far end of members_pinyin): 212 ms. Here the entries of one character of the
-- search are a range in name order (the key), each carrying the path, the joined date,
-- the packed statistics key and the whole name, so that the other conditions and the
-- whole pattern are tested on the entry (MEMBER_KEY_FILTER, src/model/member_query.c);
-- a page in joined-date order sorts the range (≤ 20 ms for the commonest character of a
-- 1M district). No second index: each member's creation writes its characters' entries
-- (2–3), and an index in joined order doubled the pages a creation writes (bench:
-- 16 writers' creations −40% with it, bench/results.md). ch is the character lower-cased as SQL's lower() does (a
-- name search's LIKE is case-blind for ASCII on SQLite; the lookup is lower($q's
-- character) and the pattern decides the rest). name_pinyin is '' while the member's
-- is NULL (not yet keyed; a page by name skips it, as members_pinyin's does). Kept by
-- the triggers below on every write to members.
CREATE TABLE member_name_chars (
  ch          TEXT NOT NULL,
  name_pinyin TEXT NOT NULL,
  id          INTEGER NOT NULL,
  org_path    TEXT NOT NULL,
  joined_on   TEXT NOT NULL,
  stats_key   INTEGER NOT NULL,
  name        TEXT NOT NULL,
  PRIMARY KEY (ch, name_pinyin, id)
) WITHOUT ROWID;

INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
SELECT DISTINCT lower(substr(m.name, p.k, 1)), COALESCE(m.name_pinyin, ''), m.id, m.org_path, m.joined_on,
  m.stats_key, m.name
FROM members m JOIN path_positions p ON p.k <= length(m.name)
ORDER BY 1, 2, 3;

CREATE TRIGGER members_name_chars_ins AFTER INSERT ON members
BEGIN
  INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
  SELECT DISTINCT lower(substr(NEW.name, k, 1)), COALESCE(NEW.name_pinyin, ''), NEW.id, NEW.org_path, NEW.joined_on,
    NEW.stats_key, NEW.name
  FROM path_positions WHERE k <= length(NEW.name);
END;

CREATE TRIGGER members_name_chars_del AFTER DELETE ON members
BEGIN
  DELETE FROM member_name_chars
  WHERE ch IN (SELECT lower(substr(OLD.name, k, 1)) FROM path_positions WHERE k <= length(OLD.name))
    AND name_pinyin = COALESCE(OLD.name_pinyin, '') AND id = OLD.id;
END;

-- (only when what an entry holds changed: an edit that rewrites every column leaves
-- the entries be)
CREATE TRIGGER members_name_chars_upd AFTER UPDATE OF name, name_pinyin, org_path, joined_on, stats_key ON members
WHEN NEW.name IS NOT OLD.name OR NEW.name_pinyin IS NOT OLD.name_pinyin OR NEW.org_path IS NOT OLD.org_path
  OR NEW.joined_on IS NOT OLD.joined_on OR NEW.stats_key IS NOT OLD.stats_key
BEGIN
  DELETE FROM member_name_chars
  WHERE ch IN (SELECT lower(substr(OLD.name, k, 1)) FROM path_positions WHERE k <= length(OLD.name))
    AND name_pinyin = COALESCE(OLD.name_pinyin, '') AND id = OLD.id;
  INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
  SELECT DISTINCT lower(substr(NEW.name, k, 1)), COALESCE(NEW.name_pinyin, ''), NEW.id, NEW.org_path, NEW.joined_on,
    NEW.stats_key, NEW.name
  FROM path_positions WHERE k <= length(NEW.name);
END;
