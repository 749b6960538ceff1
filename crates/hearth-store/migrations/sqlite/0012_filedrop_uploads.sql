-- Resumable uploads into a FileDrop (SQLite). Keep in step with
-- ../postgres/0012_filedrop_uploads.sql: the schema-comparison test compares both.
--
-- Like resumable_uploads (0009), but a session belongs to a FileDrop instead of a user: it is
-- keyed by (filedrop_id, hash, size), so an anonymous uploader's session never meets the
-- owner's own sessions (keyed by user) nor another FileDrop's. user_id is the owner, whose
-- account the file lands in. filedrop_id is deliberately not a foreign key: a FileDrop turned
-- off leaves its sessions to expire, and the expiry sweep removes their unit files too.
-- state: 0 receiving units, 1 assembling, 2 done.

CREATE TABLE filedrop_resumables (
    id              INTEGER PRIMARY KEY,
    filedrop_id     INTEGER NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash            TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    upload_key      TEXT    NOT NULL UNIQUE,
    file_name       TEXT    NOT NULL,
    path            TEXT    NULL,
    unit_size       INTEGER NOT NULL,
    number_of_units INTEGER NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0,
    created_us      INTEGER NOT NULL,
    expires_us      INTEGER NOT NULL,
    UNIQUE (filedrop_id, hash, size)
);
CREATE INDEX filedrop_resumables_expires ON filedrop_resumables (expires_us);

CREATE TABLE filedrop_resumable_units (
    session_id INTEGER NOT NULL REFERENCES filedrop_resumables (id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (session_id, unit_id)
);
