-- 0050_admin_history: login throttling by (name, address), the administrator history
-- of an account, and who reset its password (SECURITY.md S21, S22, S23; OPERATIONS.md
-- "Login throttling"). PostgreSQL form of sql/sqlite/0050_admin_history.sql.
--
-- login_throttle: failed password checks per (username as typed, client address).
-- Known and unknown names are counted alike, so the answers never tell them apart;
-- the delay grows with `failures` (src/api/session.c). No account-wide lock: an
-- attacker at another address can not keep the holder out.
CREATE TABLE login_throttle (
  name      TEXT NOT NULL,
  ip        TEXT NOT NULL,
  failures  BIGINT NOT NULL,
  last_at   BIGINT NOT NULL,
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

-- SQLite's RAISE(ABORT, msg) → RAISE EXCEPTION with the same message and SQLSTATE 23000
-- (integrity_constraint_violation: a constraint failure, as SQLite reports it).
CREATE FUNCTION users_admin_role_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'users.admin_role is never changed' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER users_admin_role_kept BEFORE UPDATE OF admin_role ON users
  FOR EACH ROW
  WHEN (OLD.admin_role IS NOT NULL AND (NEW.admin_role IS NULL OR NEW.admin_role <> OLD.admin_role))
  EXECUTE FUNCTION users_admin_role_kept();

-- SQLite's WHEN clause here reads users; a PostgreSQL trigger's WHEN can not hold a
-- subquery, so the function tests it (the same condition: an account whose admin_role
-- is set gets no role but that one).
CREATE FUNCTION user_roles_admin_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held TEXT;
BEGIN
  SELECT admin_role INTO held FROM users WHERE id = NEW.user_id;
  IF held IS NOT NULL AND held <> NEW.role THEN
    RAISE EXCEPTION 'an account that held an administrator role gets no other role'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER user_roles_admin_only BEFORE INSERT ON user_roles
  FOR EACH ROW EXECUTE FUNCTION user_roles_admin_only();

-- In SQLite this is an AFTER INSERT trigger, and SQLite runs it right after its row,
-- before the next row of the same INSERT meets user_roles_admin_only: one statement
-- inserting (u, 'sysadmin') then (u, 'member') is refused. PostgreSQL runs AFTER ROW
-- triggers only at the end of the statement, which would let that statement through;
-- so here it is a BEFORE INSERT trigger (a later row's BEFORE trigger sees what an
-- earlier row's did). A BEFORE trigger also runs for a row that then conflicts with an
-- equal assignment (ON CONFLICT: SQLite's AFTER INSERT trigger does not run for it),
-- so the function does nothing when that assignment exists already. Whichever of the
-- two BEFORE triggers runs first (PostgreSQL: by name, this one), the outcome is the
-- same: this one only fills a NULL admin_role with NEW.role, which the other accepts.
CREATE FUNCTION user_roles_admin_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM user_roles
                  WHERE user_id = NEW.user_id AND role = NEW.role
                    AND COALESCE(org_id, 0) = COALESCE(NEW.org_id, 0)) THEN
    UPDATE users SET admin_role = NEW.role WHERE id = NEW.user_id AND admin_role IS NULL;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER user_roles_admin_history BEFORE INSERT ON user_roles
  FOR EACH ROW WHEN (NEW.role IN ('sysadmin', 'secadmin', 'auditor'))
  EXECUTE FUNCTION user_roles_admin_history();

-- The last password reset by someone other than the holder: who (an administrator's
-- user id and name; 0/'system' for the server CLI), when, from where, and the first
-- login after it. Shown to the holder at sign-in; each reset and each first login
-- after one is audited.
ALTER TABLE users ADD COLUMN reset_by BIGINT;
ALTER TABLE users ADD COLUMN reset_by_name TEXT;
ALTER TABLE users ADD COLUMN reset_at BIGINT;
ALTER TABLE users ADD COLUMN reset_ip TEXT;
ALTER TABLE users ADD COLUMN reset_login_at BIGINT;
