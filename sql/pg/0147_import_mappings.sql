-- 0147_import_mappings: see sql/sqlite/0147_import_mappings.sql.
CREATE TABLE import_mappings (
  org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
  signature   TEXT NOT NULL,
  headers     TEXT NOT NULL,
  mapping     TEXT NOT NULL,
  updated_by  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (org_id, signature)
);
