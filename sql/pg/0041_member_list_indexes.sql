-- 0041_member_list_indexes: a large subtree's list page walks members_name (or
-- members_joined) in order and keeps the rows under the subtree's path; with org_path in
-- the index the path test is made on the index entry. The bulk load in member.c
-- rebuilds them with the same definitions. PostgreSQL form of
-- sql/sqlite/0041_member_list_indexes.sql (the same statements).
DROP INDEX members_name;
CREATE INDEX members_name ON members (name, id, org_path);
DROP INDEX members_joined;
CREATE INDEX members_joined ON members (joined_on, id, org_path);
