//! hearth-store: metadata in SQL (one code path for SQLite and PostgreSQL) and content-addressed
//! blob storage. It knows nothing of HTTP or wire formats.
//!
//! - [`db`]: connecting, SQLite pragmas, write transactions ([`Db::begin_write`]).
//! - [`dialect`]: the one place where SQLite and PostgreSQL differ.
//! - [`sqlite_inline`]: the SQLite mode's driver for sqlx's `Any` (statements run on the
//!   calling thread, through rusqlite).
//! - `group_commit`: [`Db::write_batched`], concurrent write transactions under one commit.
//! - [`migrate`]: two migration folders with the same file names, embedded at build time.
//! - [`accounts`]: users, settings, applications, session and action tokens.
//! - [`links`]: one-time download keys, FileDrops, avatars set from a stored image.
//! - [`uploads`]: upload keys and their processing state (upload/poll_upload), resumable
//!   sessions (the owner's and FileDrop uploaders').
//! - [`web_uploads`]: web uploads (upload/add_web_upload) and their progress.
//! - [`blob`]: content-addressed blob store (SHA-256, fsync, rename, fsync directory).
//! - [`schema`]: schema introspection, used by the test that compares both databases.
//! - `testing` (feature `testing`): a fresh database per test.

pub mod accounts;
pub mod blob;
pub mod db;
pub mod dialect;
pub mod downloads;
mod error;
pub mod gc;
mod group_commit;
mod health;
pub mod jobs;
pub mod links;
pub mod migrate;
pub mod row_cache;
pub mod schema;
pub mod sqlite_inline;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tree;
pub mod tree_query;
pub mod uploads;
pub mod web_uploads;

pub use db::{Db, WriteTx};

/// A database connection (a [`WriteTx`] derefs to one); tree functions take it.
pub type Conn = sqlx::AnyConnection;
/// A connection borrowed from the read pool.
pub type PooledConn = sqlx::pool::PoolConnection<sqlx::Any>;
pub use dialect::{now_us, Dialect};
pub use error::{Result, StoreError};
