-- Indexes for folder/get_content on huge folders (SQLite). Keep in step with
-- ../postgres/0006_tree_indexes.sql: the schema-comparison test compares both.
--
-- A listing ordered by name sorts bytewise (COLLATE BINARY here, COLLATE "C" in PostgreSQL,
-- see dialect.rs) with the id as tie-breaker, and a keyset page continues after
-- (name, id) > ($a, $b): these indexes answer both the first chunk and a keyset chunk with a
-- range scan of one chunk's rows. (SQLite's folders_parent / files_folder would serve too, the
-- rowid being their implicit last column; PostgreSQL's default-collation ones cannot.)

CREATE INDEX folders_parent_name_id ON folders (parent_id, trash_state, name COLLATE BINARY, id);
CREATE INDEX files_folder_name_id ON files (folder_id, trash_state, name COLLATE BINARY, id);
