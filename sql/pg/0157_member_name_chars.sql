-- 0157_member_name_chars: see sql/sqlite/0157_member_name_chars.sql. The triggers are
-- statement-level over the transition tables (an import's bulk insert writes its
-- entries in one statement), each name's positions from generate_series (SQLite's
-- library has none: its triggers join path_positions); an update rewrites the entries
-- of the rows whose entry columns changed; TRUNCATE of members empties the table.
CREATE TABLE member_name_chars (
  ch          TEXT NOT NULL,
  name_pinyin TEXT COLLATE "C" NOT NULL,
  id          BIGINT NOT NULL,
  org_path    TEXT NOT NULL,
  joined_on   TEXT NOT NULL,
  stats_key   BIGINT NOT NULL,
  name        TEXT NOT NULL,
  PRIMARY KEY (ch, name_pinyin, id)
);

INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
SELECT DISTINCT lower(substr(m.name, p.k, 1)), COALESCE(m.name_pinyin, ''), m.id, m.org_path, m.joined_on,
  m.stats_key, m.name
FROM members m CROSS JOIN LATERAL generate_series(1, length(m.name)) AS p(k);

CREATE FUNCTION members_name_chars_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
  SELECT DISTINCT lower(substr(n.name, p.k, 1)), COALESCE(n.name_pinyin, ''), n.id, n.org_path, n.joined_on,
    n.stats_key, n.name
  FROM mnc_new n CROSS JOIN LATERAL generate_series(1, length(n.name)) AS p(k);
  RETURN NULL;
END $$;
CREATE TRIGGER members_name_chars_ins AFTER INSERT ON members
  REFERENCING NEW TABLE AS mnc_new FOR EACH STATEMENT EXECUTE FUNCTION members_name_chars_ins();

CREATE FUNCTION members_name_chars_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM member_name_chars c
  USING (SELECT DISTINCT lower(substr(o.name, p.k, 1)) AS ch, COALESCE(o.name_pinyin, '') AS np, o.id
         FROM mnc_old o CROSS JOIN LATERAL generate_series(1, length(o.name)) AS p(k)) d
  WHERE c.ch = d.ch AND c.name_pinyin = d.np AND c.id = d.id;
  RETURN NULL;
END $$;
CREATE TRIGGER members_name_chars_del AFTER DELETE ON members
  REFERENCING OLD TABLE AS mnc_old FOR EACH STATEMENT EXECUTE FUNCTION members_name_chars_del();

-- (only the rows whose entry columns changed: an edit that rewrites every column leaves
-- the entries be)
CREATE FUNCTION members_name_chars_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM member_name_chars c
  USING (SELECT DISTINCT lower(substr(o.name, p.k, 1)) AS ch, COALESCE(o.name_pinyin, '') AS np, o.id
         FROM mnc_old o JOIN mnc_new n ON n.id = o.id CROSS JOIN LATERAL generate_series(1, length(o.name)) AS p(k)
         WHERE (n.name, n.name_pinyin, n.org_path, n.joined_on, n.stats_key)
           IS DISTINCT FROM (o.name, o.name_pinyin, o.org_path, o.joined_on, o.stats_key)) d
  WHERE c.ch = d.ch AND c.name_pinyin = d.np AND c.id = d.id;
  INSERT INTO member_name_chars (ch, name_pinyin, id, org_path, joined_on, stats_key, name)
  SELECT DISTINCT lower(substr(n.name, p.k, 1)), COALESCE(n.name_pinyin, ''), n.id, n.org_path, n.joined_on,
    n.stats_key, n.name
  FROM mnc_new n JOIN mnc_old o ON o.id = n.id CROSS JOIN LATERAL generate_series(1, length(n.name)) AS p(k)
  WHERE (n.name, n.name_pinyin, n.org_path, n.joined_on, n.stats_key)
    IS DISTINCT FROM (o.name, o.name_pinyin, o.org_path, o.joined_on, o.stats_key);
  RETURN NULL;
END $$;
CREATE TRIGGER members_name_chars_upd AFTER UPDATE ON members
  REFERENCING OLD TABLE AS mnc_old NEW TABLE AS mnc_new FOR EACH STATEMENT EXECUTE FUNCTION members_name_chars_upd();

CREATE FUNCTION members_name_chars_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM member_name_chars;
  RETURN NULL;
END $$;
CREATE TRIGGER members_name_chars_truncate AFTER TRUNCATE ON members
  FOR EACH STATEMENT EXECUTE FUNCTION members_name_chars_truncate();
