//! Test helpers (feature `testing`): a fresh, migrated database per test.
//!
//! PostgreSQL: one migrated template database per set of migration files
//! (`hearth_tpl_<fingerprint>`), built once per process and shared across processes, then
//! `CREATE DATABASE t_<random> TEMPLATE hearth_tpl_…` for each test, dropped with
//! `WITH (FORCE)` when the [`TestDbGuard`] drops. Tests that run on PostgreSQL read the server
//! from `TEST_PG_URL` ([`pg_url`]); its database is used only for administration.

use std::time::Duration;

use anyhow::{anyhow, Context as _};
use sqlx::{AnyConnection, Connection as _, Executor as _};
use tempfile::TempDir;

use crate::{migrate, Db, Dialect, Result};

/// A fresh SQLite database in a new temp directory (removed when the `TempDir` drops).
/// Panics if it cannot be created.
pub async fn fresh_sqlite_db() -> (Db, TempDir) {
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let db = Db::open_data_dir(dir.path())
        .await
        .expect("opening a fresh SQLite database");
    (db, dir)
}

/// `TEST_PG_URL`, if set and non-empty.
pub fn pg_url() -> Option<String> {
    std::env::var("TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

/// Drops its test database (best effort, `WITH (FORCE)`) when dropped.
#[derive(Debug)]
pub struct TestDbGuard {
    admin_url: String,
    name: String,
}

impl TestDbGuard {
    /// The test database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop may run inside a runtime that cannot block: use a thread with its own runtime.
        let worker = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = AnyConnection::connect(&admin_url).await?;
                conn.execute(sql.as_str()).await?;
                conn.close().await?;
                anyhow::Ok(())
            })
        });
        match worker.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: dropping test database {}: {e:#}", self.name),
            Err(_) => eprintln!("warning: dropping test database {}: panicked", self.name),
        }
    }
}

/// Serialises template creation within the process.
static TEMPLATE: tokio::sync::Mutex<Option<(String, String)>> = tokio::sync::Mutex::const_new(None);

/// A fresh, migrated PostgreSQL database on the server of `base_url`.
pub async fn fresh_postgres_db(base_url: &str) -> Result<(Db, TestDbGuard)> {
    crate::db::install_drivers();
    let template = ensure_template(base_url).await?;
    let name = format!("t_{}", hex::encode(rand::random::<[u8; 8]>()));
    let mut admin = AnyConnection::connect(base_url)
        .await
        .context("connecting to TEST_PG_URL")?;
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    let mut attempt = 0;
    loop {
        match admin.execute(sql.as_str()).await {
            Ok(_) => break,
            // 55006: the template is being accessed (another process is renaming it into
            // place or copying it right now).
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 100 =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(anyhow!("creating test database {name}: {e}").into()),
        }
    }
    admin.close().await.ok();
    let guard = TestDbGuard {
        admin_url: base_url.to_owned(),
        name: name.clone(),
    };
    let db = Db::connect(&with_database(base_url, &name)?).await?;
    Ok((db, guard))
}

/// Makes sure the template database for the current migrations exists; returns its name.
async fn ensure_template(base_url: &str) -> Result<String> {
    let mut cached = TEMPLATE.lock().await;
    if let Some((url, name)) = cached.as_ref() {
        if url == base_url {
            return Ok(name.clone());
        }
    }
    let name = format!("hearth_tpl_{}", migrate::fingerprint(Dialect::Postgres));
    let mut admin = AnyConnection::connect(base_url)
        .await
        .context("connecting to TEST_PG_URL")?;
    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?;
    if exists == 0 {
        // Build under a private name and rename into place, so the template's name appears
        // only once it is complete, even with several processes racing.
        let build = format!("hearth_tplbuild_{}", hex::encode(rand::random::<[u8; 8]>()));
        admin
            .execute(format!("CREATE DATABASE \"{build}\"").as_str())
            .await?;
        let migrated = async {
            let db = Db::connect_with(&with_database(base_url, &build)?, 1).await?;
            db.close().await;
            Result::<()>::Ok(())
        }
        .await;
        let renamed = match migrated {
            Ok(()) => admin
                .execute(format!("ALTER DATABASE \"{build}\" RENAME TO \"{name}\"").as_str())
                .await
                .map(|_| ()),
            Err(e) => Err(sqlx::Error::Protocol(format!(
                "migrating the template: {e}"
            ))),
        };
        match renamed {
            Ok(()) => {}
            // 42P04 duplicate_database: another process finished first; use theirs.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {
                drop_quietly(&mut admin, &build).await;
            }
            Err(e) => {
                drop_quietly(&mut admin, &build).await;
                return Err(anyhow!("building template database {name}: {e}").into());
            }
        }
    }
    admin.close().await.ok();
    *cached = Some((base_url.to_owned(), name.clone()));
    Ok(name)
}

async fn drop_quietly(admin: &mut AnyConnection, name: &str) {
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    if let Err(e) = admin.execute(sql.as_str()).await {
        eprintln!("warning: dropping {name}: {e}");
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> Result<String> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| anyhow!("database URL without ://"))?
        + 3;
    let (head, rest) = url.split_at(scheme_end);
    let (rest, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match rest.find('/') {
        Some(i) => &rest[..i],
        None => rest,
    };
    Ok(format!("{head}{authority}/{db}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x").unwrap(),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "x").unwrap(),
            "postgres://h/x"
        );
    }
}

/// Deterministic pseudo-random bytes (xorshift): test contents that differ by `seed`.
pub fn pseudo_random_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}
