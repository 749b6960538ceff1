-- The per-server secret that signs direct-download links (HMAC-SHA256), shared by every node
-- of a PostgreSQL deployment. One row, written by the first node that needs it.
CREATE TABLE server_secret (
    id INTEGER PRIMARY KEY,
    secret_hex TEXT NOT NULL
);
