-- Web uploads (SQLite): upload/add_web_upload fetches a URL into the account in the background.
-- Keep in step with ../postgres/0010_web_uploads.sql: the schema-comparison test compares both.
--
-- One row per web upload, next to its row in `uploads` (same upload_key: upload/poll_upload
-- reads that one). status: 1 entered, 2 started (connecting), 3 transferring, 4 downloaded
-- (being placed), 99 complete. error_status: 0, or the fileerror code once complete;
-- error_message: why it failed, in words. received: bytes read so far; total: the
-- Content-Length (-1 unknown). expires_us: by then the fetch has hit its time limit, so a row
-- still below 99 afterwards belongs to a process that died (the job worker ends it as failed).

CREATE TABLE web_uploads (
    id            INTEGER PRIMARY KEY,
    upload_key    TEXT    NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url           TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    folder_key    TEXT    NULL,
    path          TEXT    NULL,
    status        INTEGER NOT NULL,
    error_status  INTEGER NOT NULL DEFAULT 0,
    error_message TEXT    NOT NULL DEFAULT '',
    received      INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL,
    quickkey      TEXT    NOT NULL DEFAULT '',
    created_us    INTEGER NOT NULL,
    updated_us    INTEGER NOT NULL,
    expires_us    INTEGER NOT NULL
);
CREATE INDEX web_uploads_user ON web_uploads (user_id, status);
CREATE INDEX web_uploads_running ON web_uploads (status, expires_us);
