-- Resumable uploads into a FileDrop (SQLite). Keep in step with
-- ../postgres/0012_filedrop_uploads.sql: the schema-comparison test compares both.
--
-- A FileDrop upload's resumable session is a row of resumable_uploads (0009) with the
-- FileDrop's id in filedrop_id; the owner's own sessions have filedrop_id 0. Sessions are now
-- keyed by (user_id, filedrop_id, hash, size), so an anonymous uploader's session never meets
-- the owner's own sessions nor another FileDrop's. user_id stays the account the file lands in
-- (the FileDrop's owner). filedrop_id is deliberately not a foreign key: a FileDrop turned off
-- leaves its sessions to expire, and the expiry sweep removes their unit files too.
--
-- SQLite cannot change a table's UNIQUE constraint in place: resumable_uploads is rebuilt
-- (sessions kept). Its units are set aside first, since dropping the old table would cascade
-- into them.

CREATE TABLE resumable_uploads_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash            TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    upload_key      TEXT    NOT NULL UNIQUE,
    file_name       TEXT    NOT NULL,
    folder_key      TEXT    NULL,
    path            TEXT    NULL,
    unit_size       INTEGER NOT NULL,
    number_of_units INTEGER NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0,
    created_us      INTEGER NOT NULL,
    expires_us      INTEGER NOT NULL,
    filedrop_id     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, filedrop_id, hash, size)
);
INSERT INTO resumable_uploads_new (id, user_id, hash, size, upload_key, file_name, folder_key,
    path, unit_size, number_of_units, state, created_us, expires_us)
SELECT id, user_id, hash, size, upload_key, file_name, folder_key, path, unit_size,
    number_of_units, state, created_us, expires_us
FROM resumable_uploads;

CREATE TABLE resumable_units_kept AS SELECT session_id, unit_id, hash, size FROM resumable_units;
DROP TABLE resumable_units;
DROP TABLE resumable_uploads;
ALTER TABLE resumable_uploads_new RENAME TO resumable_uploads;
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_us);

CREATE TABLE resumable_units (
    session_id INTEGER NOT NULL REFERENCES resumable_uploads (id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (session_id, unit_id)
);
INSERT INTO resumable_units (session_id, unit_id, hash, size)
SELECT session_id, unit_id, hash, size FROM resumable_units_kept;
DROP TABLE resumable_units_kept;
