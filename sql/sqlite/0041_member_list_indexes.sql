-- 0041_member_list_indexes: a large subtree's list page walks members_name (or
-- members_joined) in order and keeps the rows under the subtree's path. With org_path in
-- the index the path test is made on the index entry and only the rows of the page are
-- read from the table (SQLite's deferred seek): a walk past 10,000 entries of other
-- subtrees costs ~1 ms instead of ~30 ms (bench/results.md). The bulk load in
-- member.c rebuilds them with the same definitions.
DROP INDEX members_name;
CREATE INDEX members_name ON members (name, id, org_path);
DROP INDEX members_joined;
CREATE INDEX members_joined ON members (joined_on, id, org_path);
