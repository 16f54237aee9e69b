-- 0147_import_mappings: the column mapping a user chose for a spreadsheet whose headers
-- the import did not recognise (issue 20 #9), remembered per organization (the one the
-- user's role sits at) and keyed by a signature of the file's normalised header row, so
-- that the next file with the same headers comes pre-mapped for anyone importing under
-- that organization. mapping: JSON object, column index → field name ("" = 不导入);
-- headers: the header row's texts (JSON array), for reading the row back.
CREATE TABLE import_mappings (
  org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  signature   TEXT NOT NULL,
  headers     TEXT NOT NULL,
  mapping     TEXT NOT NULL,
  updated_by  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, signature)
);
