-- 0143_audit_lean: fewer pages written by each audited change (issue 17's 1,000 bookings
-- a second and issue 21's member creations at synchronous=FULL: every page a write
-- transaction dirties goes through the group commit's fsync; an audit row wrote its leaf
-- and four index leaves, 5 of a booking's 9 pages besides audit_head).
-- What reads audit_log: audit.last and audit.all walk the rowid; the listing and its count
-- (GET /audit) test each filter as "(CAST($n AS …) IS NULL OR col = $n)", which no index
-- serves (the plan walks the rowid down from the page's end); the one indexed read is
-- member.dup_probes (S20: a user's answers of one action since an instant), which
-- audit_probe serves exactly. audit_actor, audit_action, audit_object and audit_at go.
DROP INDEX audit_actor;
DROP INDEX audit_action;
DROP INDEX audit_object;
DROP INDEX audit_at;
CREATE INDEX audit_probe ON audit_log (actor_id, action, at);
