-- Resumable uploads into a FileDrop (PostgreSQL). Keep in step with
-- ../sqlite/0012_filedrop_uploads.sql: the schema-comparison test compares both.
--
-- A FileDrop upload's resumable session is a row of resumable_uploads (0009) with the
-- FileDrop's id in filedrop_id; the owner's own sessions have filedrop_id 0. Sessions are now
-- keyed by (user_id, filedrop_id, hash, size), so an anonymous uploader's session never meets
-- the owner's own sessions nor another FileDrop's. user_id stays the account the file lands in
-- (the FileDrop's owner). filedrop_id is deliberately not a foreign key: a FileDrop turned off
-- leaves its sessions to expire, and the expiry sweep removes their unit files too.

ALTER TABLE resumable_uploads ADD COLUMN filedrop_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE resumable_uploads DROP CONSTRAINT resumable_uploads_user_id_hash_size_key;
ALTER TABLE resumable_uploads
    ADD CONSTRAINT resumable_uploads_user_id_filedrop_id_hash_size_key
    UNIQUE (user_id, filedrop_id, hash, size);
