//! Connecting to the metadata database, SQLite settings, and write transactions.
//!
//! Every query in this crate is runtime SQL through sqlx's `Any` driver, the same text on both
//! databases; the differences live in [`crate::dialect`].

use std::path::Path;
use std::str::FromStr;

use anyhow::{anyhow, Context as _};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor as _};

pub use crate::dialect::Dialect;
use crate::Result;

/// A transaction that writes; rolls back when dropped without [`sqlx::Transaction::commit`].
pub type WriteTx = sqlx::Transaction<'static, Any>;

/// Pool size for a SQLite file (WAL: many readers, one writer at a time).
const SQLITE_POOL: u32 = 8;
/// Pool size for PostgreSQL.
const POSTGRES_POOL: u32 = 10;

/// SQLite settings applied to every new connection.
///
/// Durability choice: `synchronous=NORMAL` in WAL mode. A committed transaction is in the WAL
/// but the WAL is fsynced only at checkpoints, so a power cut (not a process crash) may lose the
/// last few commits; it never corrupts the database. Consequence for the API: a session
/// token's rotated secret key may roll back, the client's next signature fails with 127 and
/// it logs in again. Blob files are fsynced before their rows commit either way.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
];

/// Settings of the one SQLite writer connection: no checkpoints inside commits (a thread does
/// them, `sqlite_inline::Checkpointer`), and the WAL file cut back to 64 MiB when it restarts.
const SQLITE_WRITER_PRAGMAS: &[&str] = &[
    "PRAGMA wal_autocheckpoint = 0",
    "PRAGMA journal_size_limit = 67108864",
];

/// Installs sqlx's `Any` drivers of this crate once per process: PostgreSQL's, and for
/// `sqlite:` URLs [`crate::sqlite_inline`] (not sqlx-sqlite). Every connection goes through here.
pub fn install_drivers() {
    static DRIVERS: [sqlx_core::any::driver::AnyDriver; 2] =
        [crate::sqlite_inline::DRIVER, sqlx::postgres::any::DRIVER];
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        sqlx::any::install_drivers(&DRIVERS).expect("sqlx drivers installed elsewhere first");
    });
}

/// The metadata database: a pool plus the dialect it speaks. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Where writes go. SQLite allows one writer at a time, and a writer that finds the lock
    /// taken sleeps in SQLite's busy handler (1 ms, 2 ms, 5 ms …), which collapses throughput
    /// under concurrent writes. So SQLite writes queue in-process for a single connection
    /// instead. PostgreSQL: the same pool as reads.
    writer: AnyPool,
    dialect: Dialect,
    /// User rows cached in the single-process SQLite mode (see `row_cache`).
    users: Option<std::sync::Arc<crate::row_cache::UserCache>>,
    /// SQLite file mode: checkpoints the WAL off the writer (see `sqlite_inline`).
    _checkpointer: Option<std::sync::Arc<crate::sqlite_inline::Checkpointer>>,
    /// Jobs of [`Db::write_batched`] waiting for the writer (SQLite).
    batch: std::sync::Arc<crate::group_commit::Queue>,
}

impl Db {
    /// Connects and runs pending migrations.
    ///
    /// `url`: `sqlite://PATH` or `sqlite:PATH` (the file is created if missing, its directory
    /// is not), `sqlite::memory:` (one connection, so the pool shares one database), or
    /// `postgres://user@host:port/db` (no TLS support is compiled in).
    pub async fn connect(url: &str) -> Result<Db> {
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            anyhow!("unsupported database URL scheme (want sqlite: or postgres:)")
        })?;
        let memory = dialect == Dialect::Sqlite && is_sqlite_memory(url);
        let max = match dialect {
            Dialect::Sqlite if memory => 1,
            Dialect::Sqlite => SQLITE_POOL,
            Dialect::Postgres => POSTGRES_POOL,
        };
        Self::connect_with(url, max).await
    }

    /// [`Db::connect`] with an explicit pool size.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db> {
        install_drivers();
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            anyhow!("unsupported database URL scheme (want sqlite: or postgres:)")
        })?;
        let url = match dialect {
            Dialect::Sqlite => sqlite_url_create_if_missing(url),
            Dialect::Postgres => url.to_owned(),
        };
        // Never log the URL itself: it may carry a password.
        let opts = AnyConnectOptions::from_str(&url).context("parsing the database URL")?;
        let memory = dialect == Dialect::Sqlite && is_sqlite_memory(&url);
        let mut pool = AnyPoolOptions::new().max_connections(max_connections.max(1));
        if memory {
            // Each SQLite connection to `:memory:` is its own database: keep exactly one
            // connection alive for the pool's lifetime.
            pool = with_pragmas(pool, &[])
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let sqlite_file = dialect == Dialect::Sqlite && !memory;
        let (pool, writer) = if sqlite_file {
            // The one writer first (it creates the file and runs the migrations), then the
            // readers, which refuse writes (see `sqlite_inline`: a write on a reader would wait
            // on the writer's lock while blocking its thread).
            let writer = with_pragmas(pool.clone(), SQLITE_WRITER_PRAGMAS)
                .max_connections(1)
                .connect_with(opts.clone())
                .await
                .context("connecting the SQLite writer")?;
            crate::migrate::run(&writer, dialect).await?;
            let readers = with_pragmas(pool, &["PRAGMA query_only = ON"])
                .connect_with(opts)
                .await
                .context("connecting to the database")?;
            (readers, writer)
        } else {
            let pool = pool
                .connect_with(opts)
                .await
                .context("connecting to the database")?;
            crate::migrate::run(&pool, dialect).await?;
            (pool.clone(), pool)
        };
        tracing::debug!(?dialect, "database ready");
        let users = (dialect == Dialect::Sqlite).then(Default::default);
        let checkpointer = if sqlite_file {
            Some(std::sync::Arc::new(
                crate::sqlite_inline::Checkpointer::start(&url, writer.clone())
                    .context("starting the SQLite checkpointer")?,
            ))
        } else {
            None
        };
        Ok(Db {
            pool,
            writer,
            dialect,
            users,
            _checkpointer: checkpointer,
            batch: Default::default(),
        })
    }

    /// Opens (creating if needed) the embedded SQLite database `dir/hearth.db`.
    pub async fn open_data_dir(dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        let path = dir.join("hearth.db");
        let path = path
            .to_str()
            .ok_or_else(|| anyhow!("data directory path is not UTF-8: {}", dir.display()))?;
        Self::connect(&format!("sqlite://{path}")).await
    }

    /// The dialect of this database.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection pool, for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn batch_queue(&self) -> &crate::group_commit::Queue {
        &self.batch
    }

    pub(crate) fn user_cache(&self) -> Option<&crate::row_cache::UserCache> {
        self.users.as_deref()
    }

    /// A connection from the read pool, for several reads in a row.
    /// A connection for one write outside a transaction. On SQLite this is the single writer
    /// connection (a write on a reader connection would contend for the database lock and
    /// sleep in its busy handler); on PostgreSQL any pooled connection.
    pub async fn acquire_writer(&self) -> Result<crate::PooledConn> {
        Ok(self.writer().acquire().await?)
    }

    pub async fn acquire(&self) -> Result<crate::PooledConn> {
        Ok(self.pool.acquire().await?)
    }

    /// The pool for statements that write (see the `writer` field).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Begins a transaction that will write.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the write lock up front (waiting up to `busy_timeout`);
    /// a deferred transaction that reads and then writes gets SQLITE_BUSY at once when another
    /// writer is active, without waiting. PostgreSQL: a plain `BEGIN`.
    ///
    /// sqlx's own `Transaction` carries the custom `BEGIN` through `Any` (`Pool::begin_with`),
    /// so no wrapper type is needed: dropping it without `commit()` rolls back.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let tx = match self.dialect {
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.writer.begin().await?,
        };
        Ok(tx)
    }

    /// Awaits `work`, a query that may scan many rows (a search over a large tree), without
    /// holding up other requests: in the SQLite mode statements run on the thread that polls
    /// them (`sqlite_inline`), so on a multi-threaded runtime this thread first hands its other
    /// tasks to another worker (`block_in_place`). Elsewhere, `work` is simply awaited.
    pub async fn long_query<F: std::future::Future>(&self, work: F) -> F::Output {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let handle = Handle::current();
        if self.dialect == Dialect::Sqlite && handle.runtime_flavor() == RuntimeFlavor::MultiThread
        {
            tokio::task::block_in_place(|| handle.block_on(work))
        } else {
            work.await
        }
    }

    /// Begins a transaction that only reads (a consistent snapshot on both databases).
    pub async fn begin_read(&self) -> Result<WriteTx> {
        Ok(self.pool.begin().await?)
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// `pool` applying [`SQLITE_PRAGMAS`], then `extra`, to each new connection.
fn with_pragmas(pool: AnyPoolOptions, extra: &'static [&'static str]) -> AnyPoolOptions {
    pool.after_connect(move |conn, _meta| {
        Box::pin(async move {
            for pragma in SQLITE_PRAGMAS.iter().chain(extra) {
                conn.execute(*pragma).await?;
            }
            Ok(())
        })
    })
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Adds `mode=rwc` (create if missing) unless the URL chooses a mode itself.
fn sqlite_url_create_if_missing(url: &str) -> String {
    if is_sqlite_memory(url) || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            sqlite_url_create_if_missing("sqlite:///a/b.db"),
            "sqlite:///a/b.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_create_if_missing("sqlite:///a/b.db?cache=private"),
            "sqlite:///a/b.db?cache=private&mode=rwc"
        );
        assert_eq!(
            sqlite_url_create_if_missing("sqlite:///a/b.db?mode=ro"),
            "sqlite:///a/b.db?mode=ro"
        );
        assert_eq!(
            sqlite_url_create_if_missing("sqlite::memory:"),
            "sqlite::memory:"
        );
    }
}
