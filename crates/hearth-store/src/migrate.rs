//! Migrations: `migrations/sqlite/` and `migrations/postgres/` hold files with the same names,
//! embedded at build time and run by sqlx's [`Migrator`] on the `Any` pool (sqlx implements
//! `Migrate` for `AnyConnection`; it records applied versions in `_sqlx_migrations`).
//!
//! The files are embedded with `include_str!` through the one list in [`NAMES`] instead of
//! `sqlx::migrate!`: that macro needs sqlx's `macros` feature, which builds sqlx-macros-core
//! with both drivers for the host — minutes on 2 cores — for no behavioural difference.
//! A unit test checks that `NAMES` lists exactly the files of both folders.

use std::borrow::Cow;

use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::dialect::Dialect;
use crate::Result;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        /// Migration file names (without `.sql`), in order. Both folders hold exactly these.
        pub const NAMES: &[&str] = &[$($name),*];
        const SQLITE: &[&str] = &[$(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite/", $name, ".sql"))),*];
        const POSTGRES: &[&str] = &[$(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"), "/migrations/postgres/", $name, ".sql"))),*];
    };
}

embed![
    "0001_accounts",
    "0002_session_epoch",
    "0003_tree",
    "0004_links",
    "0005_jobs",
    "0006_tree_indexes",
    "0007_uploads",
    "0008_server_secret",
    "0009_resumable",
    "0010_web_uploads",
    "0011_content_gc",
    "0012_filedrop_uploads",
];

/// The embedded SQL of one dialect's migrations, as `(name, sql)` in order.
pub fn files(dialect: Dialect) -> impl Iterator<Item = (&'static str, &'static str)> {
    let sql = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    NAMES.iter().copied().zip(sql.iter().copied())
}

#[derive(Debug)]
struct Embedded(Dialect);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for (name, sql) in files(self.0) {
                let (version, description) = name
                    .split_once('_')
                    .ok_or_else(|| format!("migration name {name:?} lacks NNNN_"))?;
                let version: i64 = version.parse()?;
                out.push(Migration::new(
                    version,
                    Cow::Owned(description.replace('_', " ")),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                ));
            }
            Ok(out)
        })
    }
}

/// The migrator for one dialect.
pub async fn migrator(dialect: Dialect) -> Result<Migrator> {
    Ok(Migrator::new(Embedded(dialect)).await?)
}

/// Runs all pending migrations of `dialect` on `pool`.
pub async fn run(pool: &sqlx::AnyPool, dialect: Dialect) -> Result<()> {
    migrator(dialect).await?.run(pool).await?;
    Ok(())
}

/// A short hex digest of one dialect's migration files (names and contents): names the
/// PostgreSQL template database in `testing`.
pub fn fingerprint(dialect: Dialect) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (name, sql) in files(dialect) {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(sql.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_names(dialect: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_folders_hold_exactly_the_listed_files() {
        let listed: Vec<String> = NAMES.iter().map(|n| format!("{n}.sql")).collect();
        assert_eq!(dir_names("sqlite"), listed, "migrations/sqlite vs NAMES");
        assert_eq!(
            dir_names("postgres"),
            listed,
            "migrations/postgres vs NAMES"
        );
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, listed, "NAMES must be in order");
    }

    #[tokio::test]
    async fn versions_parse_and_increase() {
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            let m = migrator(d).await.unwrap();
            let versions: Vec<i64> = m.iter().map(|m| m.version).collect();
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
            assert_eq!(versions.len(), NAMES.len());
        }
    }
}
