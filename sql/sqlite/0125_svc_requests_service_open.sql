-- 0125_svc_requests_service_open: Open311's list filtered by a service and a status
-- (GET /open311/v2/requests.json?service_code=…&status=…, issue 18) walks this index
-- from the newest and stops after the page; on svc_requests_service it read every
-- request of the service and dropped those of the other status.
CREATE INDEX svc_requests_service_open ON svc_requests (service_id, is_open, requested_at, id);
