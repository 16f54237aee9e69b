-- 0143_audit_lean: see sql/sqlite/0143_audit_lean.sql. One index on audit_log, for S20's
-- probe count (member.dup_probes: actor, action, since); the listing's optional filters
-- and the chain's walks read by id.
DROP INDEX audit_actor;
DROP INDEX audit_action;
DROP INDEX audit_object;
DROP INDEX audit_at;
CREATE INDEX audit_probe ON audit_log (actor_id, action, at);
