-- Indexes for folder/get_content on huge folders (PostgreSQL). Keep in step with
-- ../sqlite/0006_tree_indexes.sql: the schema-comparison test compares both.
--
-- A listing ordered by name sorts bytewise (COLLATE "C", see dialect.rs) with the id as
-- tie-breaker, and a keyset page continues after (name COLLATE "C", id) > ($a, $b). The older
-- folders_parent / files_folder indexes use the database's default collation, which cannot
-- serve a COLLATE "C" order (they stay for name equality lookups): without these, the first
-- chunk of a folder of a million files sorts the whole folder.

CREATE INDEX folders_parent_name_id ON folders (parent_id, trash_state, name COLLATE "C", id);
CREATE INDEX files_folder_name_id ON files (folder_id, trash_state, name COLLATE "C", id);
