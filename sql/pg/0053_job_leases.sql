-- 0053_job_leases: several servers on one database (issue 12 point 3). A job is held
-- by the process that accepted it (its upload lives in that process) through a lease:
-- lease_owner is that process's random id (src/jobs/jobs.c), lease_until the database
-- clock's Unix second until which the job is that process's. The holder extends the
-- lease while it works; a job still queued or running whose lease has run out (its
-- process died or lost the database) is taken over by any server, which finishes an
-- import past its commit point or fails the job cleanly (staged rows deleted). Every
-- write of a job's data checks the lease in its transaction, so a process that lost
-- its job writes nothing more for it. Jobs of an earlier version hold no lease: they
-- are taken over at the first start.
-- PostgreSQL form of sql/sqlite/0053_job_leases.sql.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
-- the unfinished jobs only: what a server looks for when it takes expired jobs over
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status IN ('queued', 'running');
