-- The durable asynchronous job queue (SQLite). Keep in step with ../postgres/0005_jobs.sql:
-- the schema-comparison test compares both.
--
-- A job is one accepted async call (folder/copy, folder/move, folder/delete, folder/purge,
-- folder/update with privacy_recursive, device/empty_trash) planned as an ordered list of
-- steps (job_steps). The worker runs the steps in batches; each batch is one write transaction
-- that changes the tree rows, advances jobs.done_steps and stamps its own device revision, so
-- a crash never redoes a committed batch and an uncommitted one is redone cleanly.
--
-- active_user_id is the owner while the job is queued or running and NULL afterwards: its
-- UNIQUE constraint is "one job per account at a time". A worker holds a job through a lease
-- (lease_owner, lease_until_us) taken and renewed with compare-and-swap updates.

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active_user_id INTEGER NULL UNIQUE,
    kind           TEXT    NOT NULL,
    payload        TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL DEFAULT 'queued',
    total_steps    INTEGER NOT NULL,
    done_steps     INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT    NOT NULL DEFAULT '',
    lease_until_us INTEGER NOT NULL DEFAULT 0,
    created_us     INTEGER NOT NULL,
    updated_us     INTEGER NOT NULL
);
CREATE INDEX jobs_user ON jobs (user_id);

-- grp: which source of the call the step belongs to (a copy maps folders within one source);
-- dst_key: a key chosen at acceptance (the top folder of a copy, answered at once);
-- dst_id: what the step created (a copy's folder mapping), written with the step's batch.
CREATE TABLE job_steps (
    job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    grp     INTEGER NOT NULL,
    op      TEXT    NOT NULL,
    src_id  INTEGER NOT NULL,
    dst_id  INTEGER NULL,
    dst_key TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX job_steps_src ON job_steps (job_id, grp, src_id);
