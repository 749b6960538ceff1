-- The resource tree: folders, files, earlier file versions, stored contents with reference
-- counts, and tombstones of purged items for device/get_changes (SQLite).
-- Keep in step with ../postgres/0003_tree.sql: the schema-comparison test compares both.
--
-- trash_state: 0 = live; 1 = deleted (the top of a trashed subtree: listed by device/get_trash,
-- parent_folderkey "trash"); 2 = inside a deleted folder. Every item row carries the device
-- revision of its latest change, which is what device/get_changes reads.

CREATE TABLE folders (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folderkey   TEXT    NOT NULL UNIQUE,
    parent_id   INTEGER NULL REFERENCES folders (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NOT NULL DEFAULT '',
    privacy     TEXT    NOT NULL DEFAULT 'private',
    created_us  INTEGER NOT NULL,
    mtime_us    INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    trash_state INTEGER NOT NULL DEFAULT 0,
    delete_us   INTEGER NOT NULL DEFAULT 0,
    depth       INTEGER NOT NULL
);
CREATE UNIQUE INDEX folders_root ON folders (user_id) WHERE parent_id IS NULL;
CREATE INDEX folders_parent ON folders (parent_id, trash_state, name);
CREATE INDEX folders_user_revision ON folders (user_id, revision);

CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quickkey      TEXT    NOT NULL UNIQUE,
    folder_id     INTEGER NOT NULL REFERENCES folders (id),
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    privacy       TEXT    NOT NULL DEFAULT 'private',
    password_hash TEXT    NOT NULL DEFAULT '',
    created_us    INTEGER NOT NULL,
    mtime_us      INTEGER NOT NULL,
    revision      INTEGER NOT NULL,
    trash_state   INTEGER NOT NULL DEFAULT 0,
    delete_us     INTEGER NOT NULL DEFAULT 0,
    hash          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    downloads     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX files_folder ON files (folder_id, trash_state, name);
CREATE INDEX files_user_revision ON files (user_id, revision);

CREATE TABLE file_versions (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX file_versions_file ON file_versions (file_id, revision);

CREATE TABLE contents (
    hash       TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    refs       INTEGER NOT NULL,
    created_us INTEGER NOT NULL
);

CREATE TABLE tombstones (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    itemkey    TEXT    NOT NULL,
    parent_key TEXT    NOT NULL,
    revision   INTEGER NOT NULL
);
CREATE INDEX tombstones_user_revision ON tombstones (user_id, revision);

ALTER TABLE users ADD COLUMN trash_revision INTEGER NOT NULL DEFAULT 0;
