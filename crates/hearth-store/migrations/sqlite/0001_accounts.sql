-- Accounts, applications, session and action tokens (SQLite).
-- Keep in step with ../postgres/0001_accounts.sql: the schema-comparison test compares both.
-- Times are integer microseconds since the Unix epoch; booleans are integer 0/1.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    first_name      TEXT    NOT NULL DEFAULT '',
    last_name       TEXT    NOT NULL DEFAULT '',
    display_name    TEXT    NOT NULL DEFAULT '',
    gender          TEXT    NOT NULL DEFAULT 'none',
    birth_date      TEXT    NOT NULL DEFAULT '',
    location        TEXT    NOT NULL DEFAULT '',
    website         TEXT    NOT NULL DEFAULT '',
    ekey            TEXT    NOT NULL UNIQUE,
    pkey            TEXT    NOT NULL,
    is_admin        INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_us      INTEGER NOT NULL,
    quota_bytes     INTEGER NOT NULL,
    used_bytes      INTEGER NOT NULL DEFAULT 0,
    device_revision INTEGER NOT NULL DEFAULT 0,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until_us INTEGER NOT NULL DEFAULT 0,
    tos_accepted    TEXT    NOT NULL DEFAULT '',
    avatar          TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE user_settings (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE applications (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    api_key    TEXT    NULL,
    status     TEXT    NOT NULL DEFAULT 'active'
               CHECK (status IN ('active', 'disabled', 'suspended')),
    created_us INTEGER NOT NULL
);

CREATE TABLE session_tokens (
    token_hash       TEXT    NOT NULL PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id           INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    secret_key       INTEGER NOT NULL DEFAULT 0,
    time_text        TEXT    NOT NULL DEFAULT '',
    created_us       INTEGER NOT NULL,
    expires_us       INTEGER NOT NULL,
    claimed_until_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_tokens_user_id ON session_tokens (user_id);

CREATE TABLE action_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX action_tokens_user_id ON action_tokens (user_id);
