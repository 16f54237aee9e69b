-- 0050_admin_history: login throttling by (name, address), the administrator history
-- of an account, and who reset its password (SECURITY.md S21, S22, S23; OPERATIONS.md
-- "Login throttling").
--
-- login_throttle: failed password checks per (username as typed, client address).
-- Known and unknown names are counted alike, so the answers never tell them apart;
-- the delay grows with `failures` (src/api/session.c). No account-wide lock: an
-- attacker at another address can not keep the holder out.
CREATE TABLE login_throttle (
  name      TEXT NOT NULL,
  ip        TEXT NOT NULL,
  failures  INTEGER NOT NULL,
  last_at   INTEGER NOT NULL,
  PRIMARY KEY (name, ip)
);
CREATE INDEX login_throttle_at ON login_throttle (last_at);

-- The account-wide lock is gone: a locked account is active again.
UPDATE users SET status = 'active', locked_until = 0, failed_count = 0, failed_since = 0
 WHERE status = 'locked';

-- admin_role: the administrator role (sysadmin, secadmin, auditor) the account was
-- first given; set by the trigger below whatever path assigns it, never changed or
-- cleared (三权分立: such an account is never reused for another role). The codes are
-- those of src/auth/policy.c's administrator roles.
ALTER TABLE users ADD COLUMN admin_role TEXT;
UPDATE users SET admin_role = (SELECT MIN(r.role) FROM user_roles r WHERE r.user_id = users.id
                               AND r.role IN ('sysadmin', 'secadmin', 'auditor'));
CREATE TRIGGER users_admin_role_kept BEFORE UPDATE OF admin_role ON users
WHEN OLD.admin_role IS NOT NULL AND (NEW.admin_role IS NULL OR NEW.admin_role <> OLD.admin_role)
BEGIN
  SELECT RAISE(ABORT, 'users.admin_role is never changed');
END;
CREATE TRIGGER user_roles_admin_only BEFORE INSERT ON user_roles
WHEN (SELECT admin_role FROM users WHERE id = NEW.user_id) IS NOT NULL
 AND (SELECT admin_role FROM users WHERE id = NEW.user_id) <> NEW.role
BEGIN
  SELECT RAISE(ABORT, 'an account that held an administrator role gets no other role');
END;
CREATE TRIGGER user_roles_admin_history AFTER INSERT ON user_roles
WHEN NEW.role IN ('sysadmin', 'secadmin', 'auditor')
BEGIN
  UPDATE users SET admin_role = NEW.role WHERE id = NEW.user_id AND admin_role IS NULL;
END;

-- The last password reset by someone other than the holder: who (an administrator's
-- user id and name; 0/'system' for the server CLI), when, from where, and the first
-- login after it. Shown to the holder at sign-in; each reset and each first login
-- after one is audited.
ALTER TABLE users ADD COLUMN reset_by INTEGER;
ALTER TABLE users ADD COLUMN reset_by_name TEXT;
ALTER TABLE users ADD COLUMN reset_at INTEGER;
ALTER TABLE users ADD COLUMN reset_ip TEXT;
ALTER TABLE users ADD COLUMN reset_login_at INTEGER;
