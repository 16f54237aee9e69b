-- 0153_import_mapping_ids: saved column mappings (0147) get an id of their own, so that
-- the import wizard can list them and delete one (GET/DELETE /api/v1/import-mappings,
-- issue 20 #9). (org_id, signature) stays unique (ON CONFLICT of the save). SQLite can
-- not add a primary key: the table is rebuilt, id last as PostgreSQL's ADD COLUMN puts it.
CREATE TABLE import_mappings_new (
  org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  signature   TEXT NOT NULL,
  headers     TEXT NOT NULL,
  mapping     TEXT NOT NULL,
  updated_by  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  id          INTEGER PRIMARY KEY
);
INSERT INTO import_mappings_new (org_id, signature, headers, mapping, updated_by, updated_at)
  SELECT org_id, signature, headers, mapping, updated_by, updated_at FROM import_mappings ORDER BY updated_at;
DROP TABLE import_mappings;
ALTER TABLE import_mappings_new RENAME TO import_mappings;
CREATE UNIQUE INDEX import_mappings_org_sig ON import_mappings (org_id, signature);
