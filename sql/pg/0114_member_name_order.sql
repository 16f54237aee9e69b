-- 0114_member_name_order: members sorted by name in 汉语拼音 order, or by 姓氏笔画
-- (issue 20 #13), the same on SQLite and PostgreSQL. Neither store's collation knows
-- pinyin alike, so the order is a key computed in C (src/core/collate.c, tables from
-- Unicode CLDR's Chinese collations) and stored at write time: five base-16 digits (letters A…P) per
-- character, which compare byte by byte (and as text under any collation) in that
-- order. A list page's keyset walks (key, id) as it walked (name, id) before.
-- PostgreSQL: the columns collate "C" (byte order) whatever the database's locale.
--
-- A migration can not compute the keys: rows written before this one keep NULL until
-- member_fill_name_keys (src/model/member.c) fills them when the server or a
-- `dangjian` command next opens the database (cli_open_db), as 0052's masks.
ALTER TABLE members ADD COLUMN name_pinyin TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN name_strokes TEXT COLLATE "C";
-- an import's staged rows carry them too, and move them into members
ALTER TABLE import_stage ADD COLUMN name_pinyin TEXT COLLATE "C";
ALTER TABLE import_stage ADD COLUMN name_strokes TEXT COLLATE "C";

-- a large subtree's page walks the key's index; a small one's the subtree's path range
-- of members_path_name, now in pinyin order. Both carry what 0111 put in the list
-- indexes (stats_key, joined_on, and name for a name search), so that a page's ids come
-- from the index alone in pinyin order as they came in code-point order. members_name
-- (0041, 0111) stays for the statements that still name it.
DROP INDEX members_path_name;
CREATE INDEX members_path_name ON members (org_path, name_pinyin, id, joined_on, stats_key, name);
CREATE INDEX members_pinyin ON members (name_pinyin, id, org_path, stats_key, joined_on, name);
CREATE INDEX members_strokes ON members (name_strokes, id, org_path);
-- the rows still to fill, and only those (empty once filled)
CREATE INDEX members_unkeyed ON members (id) WHERE name_pinyin IS NULL;
