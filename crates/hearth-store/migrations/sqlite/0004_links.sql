-- One-time download keys, FileDrops and avatars chosen from a stored image (SQLite).
-- Keep in step with ../postgres/0004_links.sql: the schema-comparison test compares both.
--
-- one_time_keys: a capability to download one file; the token itself is never stored, only
-- its SHA-256 (token_hash). uses_left: -1 = any number of uses until expires_us, else the uses
-- that remain (burn_after_use with bind_ip gives 1). revoked: 1 = disabled by
-- file/configure_one_time_key. The rows go with their file (a purge) or their owner.
-- filedrops: at most one per folder; filedrop_key (64 hex) is the public key uploaders send.
-- user_avatars: the quickkey an avatar was set from (user/set_avatar quick_key=…).

CREATE TABLE one_time_keys (
    id                   INTEGER PRIMARY KEY,
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_id              INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    token_hash           TEXT    NOT NULL UNIQUE,
    created_us           INTEGER NOT NULL,
    expires_us           INTEGER NOT NULL,
    uses_left            INTEGER NOT NULL,
    revoked              INTEGER NOT NULL DEFAULT 0,
    burn_after_use       INTEGER NOT NULL DEFAULT 1,
    bind_ip              TEXT    NOT NULL DEFAULT '',
    email_notification   INTEGER NOT NULL DEFAULT 0,
    success_callback_url TEXT    NOT NULL DEFAULT '',
    error_callback_url   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX one_time_keys_user_created ON one_time_keys (user_id, created_us);
CREATE INDEX one_time_keys_file ON one_time_keys (file_id);

CREATE TABLE filedrops (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id              INTEGER NOT NULL UNIQUE REFERENCES folders (id) ON DELETE CASCADE,
    filedrop_key           TEXT    NOT NULL UNIQUE,
    allow_description      INTEGER NOT NULL DEFAULT 0,
    allow_multiple_uploads INTEGER NOT NULL DEFAULT 0,
    embed_size             TEXT    NOT NULL DEFAULT '480',
    message                TEXT    NOT NULL DEFAULT '',
    notification_emails    INTEGER NOT NULL DEFAULT 1,
    created_us             INTEGER NOT NULL,
    updated_us             INTEGER NOT NULL
);
CREATE INDEX filedrops_user ON filedrops (user_id);

CREATE TABLE user_avatars (
    user_id  INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    quickkey TEXT    NOT NULL,
    set_us   INTEGER NOT NULL
);
