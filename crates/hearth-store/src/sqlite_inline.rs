//! The SQLite mode's driver for sqlx's `Any`: every statement runs on the calling thread,
//! through rusqlite, instead of on sqlx-sqlite's per-connection worker thread.
//!
//! Why: sqlx-sqlite sends each statement to a worker thread and the rows back over channels,
//! and its pool pings that thread on every acquire and release. On this kind of machine (a VM
//! with 2 cores) each hop is a pair of context switches: a point read cost ~70 µs and ~12
//! context switches, and a small upload (~20 statements) spent most of its CPU switching
//! threads (docs/benchmarks.md). Here a point read is a few µs of plain function calls.
//!
//! What it costs: a statement blocks the async worker thread that runs it. Statements here are
//! point reads and small writes (µs), listings are bounded by `LIMIT`; the few long ones
//! (`hearth admin fsck`, the collector's batches) run on the background worker. Only one
//! connection writes (`Db`'s writer), so the busy handler never waits on this process; it
//! waits (up to `busy_timeout`) only when another process — a `hearth admin` command — holds
//! the write lock. Reader connections are `query_only`, so a write sent to the wrong pool
//! fails at once instead of waiting on the writer while blocking its thread.
//!
//! The rest of the crate does not change: queries keep sqlx's `$N` placeholders, bound by
//! number as sqlx-sqlite binds them, and rows decode to the same `Any` values (INTEGER → i64,
//! REAL → f64, TEXT, BLOB, NULL), so the same store code runs on PostgreSQL through sqlx.
//!
//! sqlx's `Any` driver needs a `Database` type; only its connection is ever used (through
//! [`AnyConnectionBackend`]), so the other associated types are one placeholder, [`Unused`].

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{self, BoxFuture};
use futures_util::stream::{self, BoxStream};
use rusqlite::types::ValueRef as SqlValue;
use rusqlite::{OpenFlags, ToSql};
use sqlx_core::any::driver::AnyDriver;
use sqlx_core::any::{
    Any, AnyArguments, AnyColumn, AnyConnectOptions, AnyConnectionBackend, AnyQueryResult, AnyRow,
    AnyStatement, AnyTypeInfo, AnyTypeInfoKind, AnyValue, AnyValueKind,
};
use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::database::Database;
use sqlx_core::describe::Describe;
use sqlx_core::error::{BoxDynError, DatabaseError, Error, ErrorKind};
use sqlx_core::ext::ustr::UStr;
use sqlx_core::migrate::{AppliedMigration, Migrate, MigrateError, Migration};
use sqlx_core::transaction::{Transaction, TransactionManager};
use sqlx_core::Either;

/// The driver to install (with PostgreSQL's) before connecting: `sqlite:` URLs.
pub const DRIVER: AnyDriver = AnyDriver::without_migrate::<InlineSqlite>();

/// Prepared statements kept per connection (rusqlite's LRU cache, by SQL text).
const STATEMENT_CACHE: usize = 256;
/// Column-name maps kept per connection before the map is cleared (dynamic SQL makes new ones).
const COLUMN_MAPS: usize = 512;

/// The `Database` that names this driver.
#[derive(Debug)]
pub struct InlineSqlite;

impl Database for InlineSqlite {
    type Connection = InlineConnection;
    type TransactionManager = InlineTransactions;
    type Row = Unused;
    type QueryResult = Unused;
    type Column = Unused;
    type TypeInfo = Unused;
    type Value = Unused;
    type ValueRef<'r> = Unused;
    type Arguments<'q> = Unused;
    type ArgumentBuffer<'q> = ();
    type Statement<'q> = Unused;
    const NAME: &'static str = "SQLite";
    const URL_SCHEMES: &'static [&'static str] = &["sqlite"];
}

/// How to open a database file (from a `sqlite:` URL).
#[derive(Clone, Debug)]
pub struct InlineOptions {
    /// `None`: a private in-memory database.
    path: Option<PathBuf>,
    flags: OpenFlags,
}

impl InlineOptions {
    fn parse(url: &str) -> Result<InlineOptions, Error> {
        let rest = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let (database, params) = match rest.split_once('?') {
            Some((d, p)) => (d, Some(p)),
            None => (rest, None),
        };
        let mut memory = database == ":memory:";
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        for (key, value) in form_urlencoded::parse(params.unwrap_or("").as_bytes()) {
            match (&*key, &*value) {
                ("mode", "ro") => {
                    flags.remove(OpenFlags::SQLITE_OPEN_READ_WRITE);
                    flags.insert(OpenFlags::SQLITE_OPEN_READ_ONLY);
                }
                ("mode", "rw") => {}
                ("mode", "rwc") => flags.insert(OpenFlags::SQLITE_OPEN_CREATE),
                ("mode", "memory") => memory = true,
                ("cache", "private") => {}
                ("cache", "shared") => flags.insert(OpenFlags::SQLITE_OPEN_SHARED_CACHE),
                _ => {
                    return Err(Error::Configuration(
                        format!("unsupported SQLite URL parameter {key}={value}").into(),
                    ))
                }
            }
        }
        let path = if memory {
            None
        } else {
            let decoded = percent_encoding::percent_decode_str(database)
                .decode_utf8()
                .map_err(|e| Error::Configuration(e.into()))?;
            Some(PathBuf::from(decoded.as_ref()))
        };
        Ok(InlineOptions { path, flags })
    }

    fn open(&self) -> Result<InlineConnection, Error> {
        let conn = match &self.path {
            Some(p) => rusqlite::Connection::open_with_flags(p, self.flags),
            None => rusqlite::Connection::open_in_memory_with_flags(self.flags),
        }
        .map_err(db_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(InlineConnection {
            conn,
            depth: 0,
            columns: Default::default(),
        })
    }
}

impl FromStr for InlineOptions {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        InlineOptions::parse(s)
    }
}

impl TryFrom<&AnyConnectOptions> for InlineOptions {
    type Error = Error;
    fn try_from(o: &AnyConnectOptions) -> Result<Self, Error> {
        InlineOptions::parse(o.database_url.as_str())
    }
}

impl ConnectOptions for InlineOptions {
    type Connection = InlineConnection;

    fn from_url(url: &url::Url) -> Result<Self, Error> {
        InlineOptions::parse(url.as_str())
    }

    fn connect(&self) -> BoxFuture<'_, Result<InlineConnection, Error>> {
        Box::pin(future::ready(self.open()))
    }

    fn log_statements(self, _level: log::LevelFilter) -> Self {
        self
    }

    fn log_slow_statements(self, _level: log::LevelFilter, _duration: Duration) -> Self {
        self
    }
}

/// How often [`Checkpointer`] copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// How long a checkpoint waits for readers to leave the WAL before it stops for this round.
const CHECKPOINT_PATIENCE: Duration = Duration::from_millis(100);

/// Checkpoints a database's WAL off the async threads, so that commits never do it, and
/// restarts the WAL so that it is overwritten instead of growing.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: with
/// this driver that is on an async worker thread, through an fsync of the WAL and of the
/// database file. So the writer connection turns it off (`wal_autocheckpoint = 0`) and this
/// task, every [`CHECKPOINT_EVERY`], takes the writer (`Db`'s one writer connection, so no
/// write is in progress), runs `wal_checkpoint(RESTART)` from a blocking thread on its own
/// connection, and gives the writer back. RESTART waits for readers to leave the WAL (µs) and
/// makes the next commit write from the WAL's start. Without the restart, a WAL that is always
/// being appended to never starts over: it grows, and every commit pays for new blocks.
/// Dropping the handle stops the task.
pub struct Checkpointer {
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Checkpointer")
    }
}

impl Checkpointer {
    /// Starts checkpointing the database file of `url` (a `sqlite:` file URL) whose only
    /// writer connection is the one of `writer`.
    pub fn start(url: &str, writer: sqlx::AnyPool) -> Result<Checkpointer, Error> {
        let opts = InlineOptions::parse(url)?;
        let path = opts
            .path
            .ok_or_else(|| Error::Configuration("an in-memory database has no WAL".into()))?;
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_error)?;
        // Short: while it waits the task holds the writer. Readers of this process leave the
        // WAL within µs; another process's long read (a `hearth admin` command) only makes a
        // round stop early (the pragma reports it busy) after what it could copy.
        conn.busy_timeout(CHECKPOINT_PATIENCE).map_err(db_error)?;
        let conn = Arc::new(std::sync::Mutex::new(conn));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
                }
                let Ok(held) = writer.acquire().await else {
                    return;
                };
                let conn = conn.clone();
                let done = tokio::task::spawn_blocking(move || {
                    let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                    conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                })
                .await;
                drop(held);
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "SQLite checkpoint"),
                    Err(e) => tracing::warn!(error = %e, "SQLite checkpoint task"),
                }
            }
        });
        Ok(Checkpointer { _stop: stop })
    }
}

/// The column names and descriptions of one statement's rows, shared by its rows.
type ColumnMap = (Arc<sqlx_core::HashMap<UStr, usize>>, Arc<Vec<AnyColumn>>);

/// One SQLite connection, used by one task at a time (the pool hands it out).
pub struct InlineConnection {
    conn: rusqlite::Connection,
    /// Open transactions: 0 none, 1 a transaction, more: savepoints inside it.
    depth: usize,
    /// Column maps by SQL text (rows of one statement share one).
    columns: std::collections::HashMap<String, ColumnMap>,
}

impl fmt::Debug for InlineConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineConnection")
            .field("depth", &self.depth)
            .finish()
    }
}

/// What one statement produced.
struct Outcome {
    rows: Vec<AnyRow>,
    rows_affected: u64,
}

impl InlineConnection {
    /// Runs `sql` with `args` (bound by the number of each `$N`), keeping at most `limit` rows.
    /// Text of several statements (migrations, pragmas) runs as a batch when it has no
    /// arguments.
    fn run(
        &mut self,
        sql: &str,
        args: Option<AnyArguments<'_>>,
        limit: Option<usize>,
    ) -> Result<Outcome, Error> {
        let args = args.map(|a| a.values.0).unwrap_or_default();
        let InlineConnection { conn, columns, .. } = self;
        // rusqlite prepares the first statement of a text and ignores the rest: a text that
        // may hold several runs as a script (no arguments, no rows), or is refused.
        if sql.trim_end().trim_end_matches(';').contains(';') {
            if args.is_empty() {
                conn.execute_batch(sql).map_err(db_error)?;
                return Ok(Outcome {
                    rows: Vec::new(),
                    rows_affected: conn.changes(),
                });
            }
            let mut batch = rusqlite::Batch::new(conn, sql);
            let mut statements = 0;
            while batch.next().map_err(db_error)?.is_some() {
                statements += 1;
            }
            if statements > 1 {
                return Err(unsupported(
                    "several statements with arguments in one query",
                ));
            }
        }
        let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
        for i in 1..=stmt.parameter_count() {
            // `$N` / `?N` name argument N; a bare `?` takes the next one, as in sqlx-sqlite.
            let at = stmt
                .parameter_name(i)
                .and_then(|n| n.get(1..))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .map_or(i - 1, |n| n - 1);
            let value = args.get(at).ok_or_else(|| {
                Error::Protocol(format!("no argument for parameter {} of {sql:?}", at + 1))
            })?;
            stmt.raw_bind_parameter(i, Bind(value)).map_err(db_error)?;
        }
        let map = if stmt.column_count() == 0 {
            None
        } else {
            if columns.len() >= COLUMN_MAPS {
                columns.clear();
            }
            Some(
                columns
                    .entry(sql.to_owned())
                    .or_insert_with(|| column_map(&stmt))
                    .clone(),
            )
        };
        let mut out = Vec::new();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(db_error)? {
            let Some((names, cols)) = &map else { continue };
            let mut values = Vec::with_capacity(cols.len());
            for c in 0..cols.len() {
                values.push(AnyValue {
                    kind: any_value(row.get_ref(c).map_err(db_error)?)?,
                });
            }
            out.push(AnyRow {
                column_names: names.clone(),
                columns: cols.as_ref().clone(),
                values,
            });
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        drop(rows);
        Ok(Outcome {
            rows: out,
            rows_affected: conn.changes(),
        })
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.execute_batch(sql).map_err(db_error)
    }

    fn begin_now(&mut self, statement: Option<Cow<'static, str>>) -> Result<(), Error> {
        let sql = match (self.depth, statement) {
            (0, s) => s.unwrap_or(Cow::Borrowed("BEGIN")),
            (_, Some(_)) => return Err(Error::InvalidSavePointStatement),
            (d, None) => Cow::Owned(format!("SAVEPOINT _sqlx_savepoint_{d}")),
        };
        self.batch(&sql)?;
        self.depth += 1;
        Ok(())
    }

    fn commit_now(&mut self) -> Result<(), Error> {
        match self.depth {
            0 => return Ok(()),
            1 => self.batch("COMMIT")?,
            d => self.batch(&format!("RELEASE SAVEPOINT _sqlx_savepoint_{}", d - 1))?,
        }
        self.depth -= 1;
        Ok(())
    }

    fn rollback_now(&mut self) -> Result<(), Error> {
        let r = match self.depth {
            0 => return Ok(()),
            // An error may already have ended the transaction (SQLite rolls back on some).
            1 if self.conn.is_autocommit() => Ok(()),
            1 => self.batch("ROLLBACK"),
            d => self.batch(&format!("ROLLBACK TO SAVEPOINT _sqlx_savepoint_{}", d - 1)),
        };
        self.depth -= 1;
        r
    }
}

fn column_map(stmt: &rusqlite::Statement<'_>) -> ColumnMap {
    let mut names = sqlx_core::HashMap::default();
    let mut cols = Vec::with_capacity(stmt.column_count());
    for (i, name) in stmt.column_names().into_iter().enumerate() {
        let name = UStr::new(name);
        names.insert(name.clone(), i);
        cols.push(AnyColumn {
            ordinal: i,
            name,
            type_info: AnyTypeInfo {
                kind: AnyTypeInfoKind::Null,
            },
        });
    }
    (Arc::new(names), Arc::new(cols))
}

/// A stored value as sqlx-sqlite hands it to `Any`: by its storage class.
fn any_value(v: SqlValue<'_>) -> Result<AnyValueKind<'static>, Error> {
    Ok(match v {
        SqlValue::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        SqlValue::Integer(i) => AnyValueKind::BigInt(i),
        SqlValue::Real(f) => AnyValueKind::Double(f),
        SqlValue::Text(t) => AnyValueKind::Text(Cow::Owned(
            String::from_utf8(t.to_vec()).map_err(|e| Error::Decode(e.into()))?,
        )),
        SqlValue::Blob(b) => AnyValueKind::Blob(Cow::Owned(b.to_vec())),
    })
}

/// An `Any` argument bound as sqlx-sqlite binds it.
struct Bind<'a, 'q>(&'a AnyValueKind<'q>);

impl ToSql for Bind<'_, '_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self.0 {
            AnyValueKind::Null(_) => ToSqlOutput::Owned(Value::Null),
            AnyValueKind::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            AnyValueKind::SmallInt(i) => ToSqlOutput::Owned(Value::Integer(i64::from(*i))),
            AnyValueKind::Integer(i) => ToSqlOutput::Owned(Value::Integer(i64::from(*i))),
            AnyValueKind::BigInt(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            AnyValueKind::Real(r) => ToSqlOutput::Owned(Value::Real(f64::from(*r))),
            AnyValueKind::Double(d) => ToSqlOutput::Owned(Value::Real(*d)),
            AnyValueKind::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            AnyValueKind::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("unsupported argument {other:?}").into(),
                ))
            }
        })
    }
}

/// A SQLite error as sqlx reports database errors (code: the extended result code).
#[derive(Debug)]
struct SqliteError {
    code: i32,
    message: String,
}

impl fmt::Display for SqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for SqliteError {}

impl DatabaseError for SqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn db_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => Error::Database(Box::new(SqliteError {
            code: f.extended_code,
            message: message.unwrap_or_else(|| f.to_string()),
        })),
        other => Error::Protocol(other.to_string()),
    }
}

/// The transaction manager sqlx's `Transaction` calls; runs at once, like every statement.
pub struct InlineTransactions;

impl TransactionManager for InlineTransactions {
    type Database = InlineSqlite;

    fn begin<'conn>(
        conn: &'conn mut InlineConnection,
        statement: Option<Cow<'static, str>>,
    ) -> BoxFuture<'conn, Result<(), Error>> {
        Box::pin(future::ready(conn.begin_now(statement)))
    }

    fn commit(conn: &mut InlineConnection) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(future::ready(conn.commit_now()))
    }

    fn rollback(conn: &mut InlineConnection) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(future::ready(conn.rollback_now()))
    }

    fn start_rollback(conn: &mut InlineConnection) {
        if let Err(e) = conn.rollback_now() {
            tracing::warn!(error = %e, "rolling back a dropped SQLite transaction");
        }
    }

    fn get_transaction_depth(conn: &InlineConnection) -> usize {
        conn.depth
    }
}

impl Connection for InlineConnection {
    type Database = InlineSqlite;
    type Options = InlineOptions;

    fn close(self) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin(future::ready(Ok(())))
    }

    fn close_hard(self) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin(future::ready(Ok(())))
    }

    fn ping(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(future::ready(Ok(())))
    }

    fn begin(&mut self) -> BoxFuture<'_, Result<Transaction<'_, InlineSqlite>, Error>> {
        Transaction::begin(self, None)
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(future::ready(Ok(())))
    }

    fn should_flush(&self) -> bool {
        false
    }
}

impl AnyConnectionBackend for InlineConnection {
    fn name(&self) -> &str {
        InlineSqlite::NAME
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, sqlx_core::Result<()>> {
        Box::pin(future::ready(Ok(())))
    }

    fn close_hard(self: Box<Self>) -> BoxFuture<'static, sqlx_core::Result<()>> {
        Box::pin(future::ready(Ok(())))
    }

    fn ping(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        Box::pin(future::ready(Ok(())))
    }

    fn begin(&mut self, statement: Option<Cow<'static, str>>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(future::ready(self.begin_now(statement)))
    }

    fn commit(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        Box::pin(future::ready(self.commit_now()))
    }

    fn rollback(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        Box::pin(future::ready(self.rollback_now()))
    }

    fn start_rollback(&mut self) {
        InlineTransactions::start_rollback(self)
    }

    fn get_transaction_depth(&self) -> usize {
        self.depth
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        Box::pin(future::ready(Ok(())))
    }

    fn should_flush(&self) -> bool {
        false
    }

    fn as_migrate(&mut self) -> sqlx_core::Result<&mut (dyn Migrate + Send + 'static)> {
        Ok(self)
    }

    fn fetch_many<'q>(
        &'q mut self,
        query: &'q str,
        _persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxStream<'q, sqlx_core::Result<Either<AnyQueryResult, AnyRow>>> {
        let items: Vec<sqlx_core::Result<Either<AnyQueryResult, AnyRow>>> =
            match self.run(query, arguments, None) {
                Ok(o) => {
                    let done = AnyQueryResult {
                        rows_affected: o.rows_affected,
                        last_insert_id: None,
                    };
                    o.rows
                        .into_iter()
                        .map(|r| Ok(Either::Right(r)))
                        .chain(std::iter::once(Ok(Either::Left(done))))
                        .collect()
                }
                Err(e) => vec![Err(e)],
            };
        Box::pin(stream::iter(items))
    }

    fn fetch_optional<'q>(
        &'q mut self,
        query: &'q str,
        _persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxFuture<'q, sqlx_core::Result<Option<AnyRow>>> {
        let r = self
            .run(query, arguments, Some(1))
            .map(|o| o.rows.into_iter().next());
        Box::pin(future::ready(r))
    }

    fn prepare_with<'c, 'q: 'c>(
        &'c mut self,
        _sql: &'q str,
        _parameters: &[AnyTypeInfo],
    ) -> BoxFuture<'c, sqlx_core::Result<AnyStatement<'q>>> {
        Box::pin(future::ready(Err(unsupported(
            "prepared statement handles",
        ))))
    }

    fn describe<'q>(
        &'q mut self,
        _sql: &'q str,
    ) -> BoxFuture<'q, sqlx_core::Result<Describe<Any>>> {
        Box::pin(future::ready(Err(unsupported("describe"))))
    }
}

fn unsupported(what: &str) -> Error {
    Error::AnyDriverError(format!("the inline SQLite driver does not offer {what}").into())
}

/// sqlx's migrator on this driver, with the bookkeeping table sqlx-sqlite keeps, so a
/// database migrated by either one is recognised by the other.
impl Migrate for InlineConnection {
    fn ensure_migrations_table(&mut self) -> BoxFuture<'_, Result<(), MigrateError>> {
        let r = self.batch(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL,
                execution_time BIGINT NOT NULL
            )",
        );
        Box::pin(future::ready(r.map_err(MigrateError::from)))
    }

    fn dirty_version(&mut self) -> BoxFuture<'_, Result<Option<i64>, MigrateError>> {
        let r = self.conn.query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |row| row.get::<_, i64>(0),
        );
        let r = match r {
            Ok(v) => Ok(Some(v)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(MigrateError::from(db_error(e))),
        };
        Box::pin(future::ready(r))
    }

    fn list_applied_migrations(
        &mut self,
    ) -> BoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>> {
        let r = (|| {
            let mut stmt = self
                .conn
                .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")?;
            let rows = stmt.query_map([], |row| {
                Ok(AppliedMigration {
                    version: row.get(0)?,
                    checksum: Cow::Owned(row.get::<_, Vec<u8>>(1)?),
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        Box::pin(future::ready(
            r.map_err(|e| MigrateError::from(db_error(e))),
        ))
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(future::ready(Ok(())))
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(future::ready(Ok(())))
    }

    fn apply<'e: 'm, 'm>(
        &'e mut self,
        migration: &'m Migration,
    ) -> BoxFuture<'m, Result<Duration, MigrateError>> {
        let start = Instant::now();
        // The script and its bookkeeping row commit together, so no migration runs twice.
        let r = (|| -> Result<Duration, MigrateError> {
            let tx = self.conn.transaction().map_err(db_error)?;
            tx.execute_batch(&migration.sql)
                .map_err(|e| MigrateError::ExecuteMigration(db_error(e), migration.version))?;
            tx.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES (?1, ?2, TRUE, ?3, -1)",
                rusqlite::params![migration.version, &*migration.description, &*migration.checksum],
            )
            .map_err(db_error)?;
            tx.commit().map_err(db_error)?;
            let elapsed = start.elapsed();
            self.conn
                .execute(
                    "UPDATE _sqlx_migrations SET execution_time = ?1 WHERE version = ?2",
                    rusqlite::params![elapsed.as_nanos() as i64, migration.version],
                )
                .map_err(db_error)?;
            Ok(elapsed)
        })();
        Box::pin(future::ready(r))
    }

    fn revert<'e: 'm, 'm>(
        &'e mut self,
        migration: &'m Migration,
    ) -> BoxFuture<'m, Result<Duration, MigrateError>> {
        let start = Instant::now();
        let r = (|| -> Result<Duration, MigrateError> {
            let tx = self.conn.transaction().map_err(db_error)?;
            tx.execute_batch(&migration.sql).map_err(db_error)?;
            tx.execute(
                "DELETE FROM _sqlx_migrations WHERE version = ?1",
                [migration.version],
            )
            .map_err(db_error)?;
            tx.commit().map_err(db_error)?;
            Ok(start.elapsed())
        })();
        Box::pin(future::ready(r))
    }
}

/// Stands for every associated type of [`InlineSqlite`] that `Any` never uses (rows, values,
/// arguments and statements all travel as `Any` types through [`AnyConnectionBackend`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unused;

fn never() -> Error {
    unsupported("its own row, value or statement types")
}

impl fmt::Display for Unused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unused")
    }
}

impl Extend<Unused> for Unused {
    fn extend<T: IntoIterator<Item = Unused>>(&mut self, _iter: T) {}
}

impl sqlx_core::row::Row for Unused {
    type Database = InlineSqlite;

    fn columns(&self) -> &[Unused] {
        &[]
    }

    fn try_get_raw<I>(&self, _index: I) -> Result<Unused, Error>
    where
        I: sqlx_core::column::ColumnIndex<Self>,
    {
        Err(never())
    }
}

impl sqlx_core::column::Column for Unused {
    type Database = InlineSqlite;

    fn ordinal(&self) -> usize {
        0
    }

    fn name(&self) -> &str {
        "unused"
    }

    fn type_info(&self) -> &Unused {
        self
    }
}

impl sqlx_core::type_info::TypeInfo for Unused {
    fn is_null(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "unused"
    }
}

impl sqlx_core::value::Value for Unused {
    type Database = InlineSqlite;

    fn as_ref(&self) -> Unused {
        Unused
    }

    fn type_info(&self) -> Cow<'_, Unused> {
        Cow::Borrowed(self)
    }

    fn is_null(&self) -> bool {
        true
    }
}

impl sqlx_core::value::ValueRef<'_> for Unused {
    type Database = InlineSqlite;

    fn to_owned(&self) -> Unused {
        Unused
    }

    fn type_info(&self) -> Cow<'_, Unused> {
        Cow::Borrowed(self)
    }

    fn is_null(&self) -> bool {
        true
    }
}

impl<'q> sqlx_core::arguments::Arguments<'q> for Unused {
    type Database = InlineSqlite;

    fn reserve(&mut self, _additional: usize, _size: usize) {}

    fn add<T>(&mut self, _value: T) -> Result<(), BoxDynError>
    where
        T: 'q + sqlx_core::encode::Encode<'q, InlineSqlite> + sqlx_core::types::Type<InlineSqlite>,
    {
        Err(Box::new(never()))
    }

    fn len(&self) -> usize {
        0
    }
}

impl<'q> sqlx_core::statement::Statement<'q> for Unused {
    type Database = InlineSqlite;

    fn to_owned(&self) -> Unused {
        Unused
    }

    fn sql(&self) -> &str {
        ""
    }

    fn parameters(&self) -> Option<Either<&[Unused], usize>> {
        None
    }

    fn columns(&self) -> &[Unused] {
        &[]
    }

    sqlx_core::impl_statement_query!(Unused);
}

#[cfg(test)]
mod tests;
