-- 0155_auth_rev: a revision of what a session check reads (issue 21 #2, "the session check
-- cached"): the session's row, its user's and the user's roles with their organizations'
-- paths and names. It rises in the same transaction as every write that could change a
-- check's answer: a session deleted (sign-out, expiry, a password change or a disable
-- end them) or its token changed, a user's name, status, password, TOTP or member changed
-- or the user deleted, a role granted or taken, an organization moved, renamed or
-- deleted. A session's touch (last_seen_at, once a minute) does not raise it: the cache
-- (src/auth/authcache.c) keeps the last-seen instant it read and takes the full check
-- whenever that instant is older than a touch's interval, so that it never decides an
-- expiry or a touch on a value another process may have moved. A check is then one read
-- of this row plus, when the cache holds the token at this revision, no other.
CREATE TABLE auth_rev (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  rev  INTEGER NOT NULL
);
INSERT INTO auth_rev (id, rev) VALUES (1, 1);

CREATE TRIGGER sessions_auth_rev_del AFTER DELETE ON sessions
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER sessions_auth_rev_upd AFTER UPDATE OF token_hash, user_id, created_at ON sessions
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER users_auth_rev_upd AFTER UPDATE OF username, name, status, password_hash, must_change_password,
  password_changed_at, totp_secret, member_id ON users
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER users_auth_rev_del AFTER DELETE ON users
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER user_roles_auth_rev_ins AFTER INSERT ON user_roles
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER user_roles_auth_rev_upd AFTER UPDATE ON user_roles
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER user_roles_auth_rev_del AFTER DELETE ON user_roles
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER orgs_auth_rev_upd AFTER UPDATE OF path, name ON orgs
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER orgs_auth_rev_del AFTER DELETE ON orgs
BEGIN
  UPDATE auth_rev SET rev = rev + 1 WHERE id = 1;
END;
