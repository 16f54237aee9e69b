-- 0043_orgs_path_domain: the statistics pass reads the domain (领域) of every organization
-- of the subtree (SELECT id, domain … WHERE path in a range) from this index instead of
-- an index walk plus a table row each. PostgreSQL form of
-- sql/sqlite/0043_orgs_path_domain.sql: a SQLite index carries the rowid (here id)
-- implicitly, a PostgreSQL one does not, so id is an INCLUDE column to keep the index
-- covering (tools/schema-compare treats INCLUDE of the rowid column as that implicit one).
CREATE INDEX orgs_path_domain ON orgs (path, domain) INCLUDE (id);
