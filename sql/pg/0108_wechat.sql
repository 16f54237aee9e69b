-- 0108_wechat (PostgreSQL form of sql/sqlite/0108_wechat.sql): the WeChat Official
-- Account (公众号) channel (issue 16). A member links the openid the account knows them
-- by (OAuth2 snsapi_base on our phone pages, after login): one row per member; an
-- openid is one member's under one appid. The authorization's state (CSRF on the
-- redirect) is a single-use row bound to the user and member who started it, valid for
-- ten minutes. The access token is cached in the sender's memory, never here.
CREATE TABLE member_wechat (
  member_id   BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
  appid       TEXT NOT NULL,
  openid      TEXT NOT NULL,
  linked_at   BIGINT NOT NULL,
  linked_by   BIGINT
);
CREATE UNIQUE INDEX member_wechat_member ON member_wechat (member_id);
CREATE UNIQUE INDEX member_wechat_openid ON member_wechat (appid, openid);

CREATE TABLE wechat_oauth_states (
  state       TEXT NOT NULL PRIMARY KEY,
  user_id     BIGINT NOT NULL,
  member_id   BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX wechat_oauth_states_expiry ON wechat_oauth_states (expires_at);
