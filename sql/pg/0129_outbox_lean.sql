-- 0129_outbox_lean (PostgreSQL form of sql/sqlite/0129_outbox_lean.sql): a push to a
-- whole district writes a million in-app rows in one statement (issue 16: ≤ 10 s).
-- SQLite rebuilds the outbox to write its IN-list checks as OR of equalities (the same
-- rule; PostgreSQL's are cheap and stay as they are); both keep outbox_kind for the
-- rows sent by a provider only (channel <> 'inapp': its one reader, the birthday figure,
-- counts SMS) and index the members in the normal state by (org_path, id), which an
-- in-app push reads alone (model/outbox.c: outbox.subtree_inapp).
DROP INDEX outbox_kind;
CREATE INDEX outbox_kind ON outbox (kind, state) WHERE channel <> 'inapp';
CREATE INDEX members_normal ON members (org_path, id) WHERE state = 'normal';
