-- 0070_files: the files store (issue 15; src/model/file.c). A file belongs to an owner
-- record (owner_kind + owner_id: "meeting" 42, "org" 7) and to that record's
-- organization, whose scope decides who sees it and whose quota it counts against.
-- Its bytes live in file_chunks (part 0 the content, part 1 the JPEG thumbnail of a
-- photo), 256 KiB a row, so that every server of a deployment reads the same files and
-- a backup carries them. Content types are the server's, judged by the bytes.
CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs(id),
  owner_kind TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  thumb_size INTEGER NOT NULL DEFAULT 0,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  sha256 TEXT NOT NULL,
  created_by INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX files_owner ON files (owner_kind, owner_id, id);
-- the quota's sum reads the index alone
CREATE INDEX files_org ON files (org_id, size, thumb_size);
CREATE TABLE file_chunks (
  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  part INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (file_id, part, seq)
);
