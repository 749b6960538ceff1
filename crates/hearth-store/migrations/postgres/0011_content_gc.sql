-- Delayed garbage collection of stored contents (PostgreSQL).
-- unreferenced_us: when the content's reference count last dropped to 0 (NULL while referenced).
-- The collector removes content unreferenced for longer than gc_grace, in a transaction that
-- re-checks refs = 0, so an upload or instant upload that references it again always wins.
ALTER TABLE contents ADD COLUMN unreferenced_us BIGINT;
UPDATE contents SET unreferenced_us = created_us WHERE refs <= 0;
CREATE INDEX contents_unreferenced ON contents (unreferenced_us) WHERE refs <= 0;
