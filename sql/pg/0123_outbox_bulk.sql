-- 0123_outbox_bulk: a push to a whole district writes a million outbox rows in one
-- statement (issue 16: ≤ 10 s). Rows to members carry no desk user: outbox_user indexed
-- every one of them under NULL for nothing (only user_id = … reads it, the inbox of a
-- desk user), so it now holds the rows that have a user only.
DROP INDEX outbox_user;
CREATE INDEX outbox_user ON outbox (user_id, channel, id) WHERE user_id IS NOT NULL;
