-- 0043_orgs_path_domain: the statistics pass reads the domain (领域) of every organization
-- of the subtree; from this index (the id is its rowid) it is ~900 pages for 100,000
-- organizations instead of an index walk plus a table row each (~25 ms → ~8 ms).
CREATE INDEX orgs_path_domain ON orgs (path, domain);
