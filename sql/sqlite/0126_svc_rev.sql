-- 0126_svc_rev: the revision of the service requests and the catalogue, raised in the
-- same transaction as every change of them, so that an answer of Open311's public list
-- (GET /open311/v2/requests.json, issue 18) built at one revision (and the
-- organizations' org_rev, 0124: their names are shown) stays exact for any snapshot at
-- that revision: the server keeps the built answers (model/revcache.h, api/open311.c).
CREATE TABLE svc_rev (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  rev    INTEGER NOT NULL,
  epoch  INTEGER NOT NULL
);
INSERT INTO svc_rev (id, rev, epoch) VALUES (1, 0, abs(random()));
CREATE TRIGGER svc_requests_rev_insert AFTER INSERT ON svc_requests
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER svc_requests_rev_update AFTER UPDATE ON svc_requests
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER svc_requests_rev_delete AFTER DELETE ON svc_requests
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER svc_services_rev_insert AFTER INSERT ON svc_services
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER svc_services_rev_update AFTER UPDATE ON svc_services
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
CREATE TRIGGER svc_services_rev_delete AFTER DELETE ON svc_services
BEGIN
  UPDATE svc_rev SET rev = rev + 1 WHERE id = 1;
END;
