-- Upload keys (SQLite): one row per upload/simple (later resumable, update, patch) with its
-- processing state, as upload/poll_upload reports it. Keep in step with
-- ../postgres/0007_uploads.sql: the schema-comparison test compares both.
--
-- status: the poll status (99 = no more requests for this key); fileerror: '' or the
-- fileerror code; quickkey/revision: the created or updated file ('' / 0 on failure).

CREATE TABLE uploads (
    id         INTEGER PRIMARY KEY,
    upload_key TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id  INTEGER NULL,
    file_name  TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    fileerror  TEXT    NOT NULL DEFAULT '',
    quickkey   TEXT    NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX uploads_user ON uploads (user_id);

-- Dedup look-ups (upload/check, upload/instant): does this account hold this content?
CREATE INDEX files_user_hash ON files (user_id, hash);
CREATE INDEX file_versions_hash ON file_versions (hash);
