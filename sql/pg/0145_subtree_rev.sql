-- 0145_subtree_rev: see sql/sqlite/0145_subtree_rev.sql. Members' additions and removals
-- and changes are statement-level (a bulk insert raises each ancestor once, as 0040's
-- counters do); a change of an organization is row-level; TRUNCATE of members raises
-- every organization's path (PostgreSQL only: SQLite has no TRUNCATE).
CREATE TABLE subtree_rev (
  anc_path TEXT NOT NULL PRIMARY KEY,
  rev      BIGINT NOT NULL
);

CREATE FUNCTION subtree_rev_bump(path TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT substr(path, 1, k::int), 1
  FROM path_positions WHERE k >= 2 AND k <= length(path) AND substr(path, k::int, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = subtree_rev.rev + 1;
END $$;

CREATE FUNCTION members_subtree_rev_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT DISTINCT substr(m.org_path, 1, p.k::int), 1::bigint
  FROM str_new m JOIN path_positions p
    ON p.k >= 2 AND p.k <= length(m.org_path) AND substr(m.org_path, p.k::int, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = subtree_rev.rev + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER members_subtree_rev_ins AFTER INSERT ON members
  REFERENCING NEW TABLE AS str_new FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_rev_ins();

CREATE FUNCTION members_subtree_rev_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT DISTINCT substr(m.org_path, 1, p.k::int), 1::bigint
  FROM str_old m JOIN path_positions p
    ON p.k >= 2 AND p.k <= length(m.org_path) AND substr(m.org_path, p.k::int, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = subtree_rev.rev + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER members_subtree_rev_del AFTER DELETE ON members
  REFERENCING OLD TABLE AS str_old FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_rev_del();

-- any column (the roster's list pages show most), statement-level over the transition
-- tables as the additions: a bulk update raises each ancestor once
CREATE FUNCTION members_subtree_rev_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subtree_rev (anc_path, rev)
  SELECT DISTINCT substr(m.org_path, 1, p.k::int), 1::bigint
  FROM (SELECT org_path FROM str_old UNION SELECT org_path FROM str_new) m JOIN path_positions p
    ON p.k >= 2 AND p.k <= length(m.org_path) AND substr(m.org_path, p.k::int, 1) = '/'
  ON CONFLICT (anc_path) DO UPDATE SET rev = subtree_rev.rev + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER members_subtree_rev_upd AFTER UPDATE ON members
  REFERENCING OLD TABLE AS str_old NEW TABLE AS str_new FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_rev_upd();

CREATE FUNCTION members_subtree_rev_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subtree_rev (anc_path, rev) SELECT path, 1 FROM orgs
  ON CONFLICT (anc_path) DO UPDATE SET rev = subtree_rev.rev + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER members_subtree_rev_truncate AFTER TRUNCATE ON members
  FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_rev_truncate();

CREATE FUNCTION orgs_subtree_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM subtree_rev_bump(OLD.path);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM subtree_rev_bump(NEW.path);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orgs_subtree_rev_ins AFTER INSERT ON orgs
  FOR EACH ROW EXECUTE FUNCTION orgs_subtree_rev();
CREATE TRIGGER orgs_subtree_rev_del AFTER DELETE ON orgs
  FOR EACH ROW EXECUTE FUNCTION orgs_subtree_rev();
CREATE TRIGGER orgs_subtree_rev_upd
  AFTER UPDATE OF path, parent_id, name, type, domain, two_new, term_started_on, term_years, extended_until, n_committee ON orgs
  FOR EACH ROW WHEN (OLD.path IS DISTINCT FROM NEW.path OR OLD.parent_id IS DISTINCT FROM NEW.parent_id
    OR OLD.name IS DISTINCT FROM NEW.name OR OLD.type IS DISTINCT FROM NEW.type OR OLD.domain IS DISTINCT FROM NEW.domain
    OR OLD.two_new IS DISTINCT FROM NEW.two_new OR OLD.term_started_on IS DISTINCT FROM NEW.term_started_on
    OR OLD.term_years IS DISTINCT FROM NEW.term_years OR OLD.extended_until IS DISTINCT FROM NEW.extended_until
    OR OLD.n_committee IS DISTINCT FROM NEW.n_committee)
  EXECUTE FUNCTION orgs_subtree_rev();
