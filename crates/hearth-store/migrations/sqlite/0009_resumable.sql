-- Resumable upload sessions (SQLite). Keep in step with ../postgres/0009_resumable.sql: the
-- schema-comparison test compares both.
--
-- A session is opened by upload/check resumable=yes and keyed by (user, hash, size); it holds
-- the name and destination of that check and the upload key every unit answers. state: 0
-- receiving units, 1 assembling, 2 done (kept until expiry so check still reports every unit
-- in). Each received, verified unit is one row of resumable_units (its bytes are a file in the
-- blob store's unit spool directory, written and fsynced before the row is committed).
-- expires_us: the session, its units and their files are removed after this.

CREATE TABLE resumable_uploads (
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
    UNIQUE (user_id, hash, size)
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_us);

CREATE TABLE resumable_units (
    session_id INTEGER NOT NULL REFERENCES resumable_uploads (id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (session_id, unit_id)
);
