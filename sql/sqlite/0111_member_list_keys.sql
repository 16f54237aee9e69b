-- 0111_member_list_keys: a list page chooses its 20 ids from an index alone, then reads
-- 20 rows (issue 21 #2, #3). The list indexes carry the packed filter key (stats_key,
-- member_stats_key) and the other sort's key, so that the filters that fit in stats_key,
-- a name search and a joined-date range are tested on the index entry: a small subtree
-- no longer reads every member row of the subtree to keep 20, and a large one (the
-- district sorted by 入党时间 with a filter) passes index entries, not table rows.
-- 预备党员 in joined order have a partial index of their own: they joined in the last
-- year or so, at the far end of members_joined; its condition is stats_key's MSK_FORMAL
-- bit (0: 预备), which the index holds. The bulk load in member.c rebuilds them with the
-- same definitions. The same statements on SQLite and PostgreSQL.
DROP INDEX members_path_name;
CREATE INDEX members_path_name ON members (org_path, name, id, joined_on, stats_key);
DROP INDEX members_name;
CREATE INDEX members_name ON members (name, id, org_path, stats_key, joined_on);
DROP INDEX members_joined;
CREATE INDEX members_joined ON members (joined_on, id, org_path, stats_key, name);
CREATE INDEX members_probationary ON members (joined_on, id, org_path, stats_key, name) WHERE (stats_key & 1) = 0;
