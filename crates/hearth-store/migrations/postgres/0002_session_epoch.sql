-- A counter bumped whenever sessions are revoked or an application's status changes, so a
-- server that caches sessions in memory (the single-process SQLite mode) notices changes made
-- by another process (`hearth admin …`).
CREATE TABLE session_epoch (
    id BIGINT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO session_epoch (id, epoch) VALUES (1, 0);
