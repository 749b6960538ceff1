//! The driver against what the store relies on from sqlx-sqlite: `$N` bound by number,
//! storage classes decoded as `Any` values, constraint kinds, transactions and savepoints,
//! scripts of several statements, and the migrator's bookkeeping.

use sqlx::{Acquire as _, AnyConnection, Connection as _, Executor as _, Row as _};

async fn memory() -> AnyConnection {
    crate::db::install_drivers();
    AnyConnection::connect("sqlite::memory:").await.unwrap()
}

#[tokio::test]
async fn placeholders_bind_by_number_in_any_order_and_repeat() {
    let mut c = memory().await;
    let row = sqlx::query("SELECT $2 AS b, $1 AS a, $2 || $1 AS ba")
        .bind("one")
        .bind("two")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("a"), "one");
    assert_eq!(row.get::<String, _>("b"), "two");
    assert_eq!(row.get::<String, _>("ba"), "twoone");
    let missing = sqlx::query("SELECT $2").bind(1_i64).fetch_one(&mut c).await;
    assert!(
        missing.is_err(),
        "a parameter without an argument is an error"
    );
}

#[tokio::test]
async fn values_decode_by_storage_class() {
    let mut c = memory().await;
    c.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)")
        .await
        .unwrap();
    let done = sqlx::query("INSERT INTO t VALUES ($1, $2, $3, $4, $5)")
        .bind(i64::MAX)
        .bind(1.5_f64)
        .bind("ünïcode")
        .bind(vec![0_u8, 255])
        .bind(Option::<i64>::None)
        .execute(&mut c)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    let row = sqlx::query("SELECT i, r, s, b, n, COUNT(*) AS k FROM t")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("i"), i64::MAX);
    assert_eq!(row.get::<f64, _>("r"), 1.5);
    assert_eq!(row.get::<String, _>("s"), "ünïcode");
    assert_eq!(row.get::<Vec<u8>, _>("b"), vec![0, 255]);
    assert_eq!(row.get::<Option<i64>, _>("n"), None);
    assert_eq!(row.get::<i64, _>(5), 1);
    assert!(
        row.try_get::<String, _>("i").is_err(),
        "no text from an integer"
    );
    assert!(row.try_get::<i64, _>("nope").is_err(), "unknown column");
}

#[tokio::test]
async fn constraint_errors_keep_their_kind() {
    let mut c = memory().await;
    c.execute("CREATE TABLE u (k TEXT PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
        .await
        .unwrap();
    let put = |k: &'static str, v: Option<&'static str>| {
        sqlx::query("INSERT INTO u (k, v) VALUES ($1, $2)")
            .bind(k)
            .bind(v)
    };
    put("a", Some("x")).execute(&mut c).await.unwrap();
    for (q, unique) in [
        (put("a", Some("y")), true),
        (put("b", Some("x")), true),
        (put("c", None), false),
    ] {
        match q.execute(&mut c).await {
            Err(sqlx::Error::Database(e)) => assert_eq!(e.is_unique_violation(), unique, "{e}"),
            other => panic!("expected a constraint error, got {other:?}"),
        }
    }
    let e = crate::StoreError::from(put("a", Some("z")).execute(&mut c).await.unwrap_err());
    assert!(matches!(e, crate::StoreError::Conflict), "{e}");
}

async fn count(c: &mut AnyConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(c)
        .await
        .unwrap()
}

#[tokio::test]
async fn transactions_savepoints_and_dropped_transactions() {
    let mut c = memory().await;
    c.execute("CREATE TABLE t (v INTEGER)").await.unwrap();
    {
        let mut tx = c.begin_with("BEGIN IMMEDIATE").await.unwrap();
        tx.execute("INSERT INTO t VALUES (1)").await.unwrap();
        {
            let mut inner = tx.begin().await.unwrap();
            inner.execute("INSERT INTO t VALUES (2)").await.unwrap();
            inner.rollback().await.unwrap();
        }
        {
            let mut inner = tx.begin().await.unwrap();
            inner.execute("INSERT INTO t VALUES (3)").await.unwrap();
            inner.commit().await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    assert_eq!(count(&mut c).await, 2);
    {
        let mut tx = sqlx::Connection::begin(&mut c).await.unwrap();
        tx.execute("INSERT INTO t VALUES (4)").await.unwrap();
        // Dropped without commit: rolled back at once.
    }
    assert_eq!(count(&mut c).await, 2);
    // A custom BEGIN inside a transaction is refused, as sqlx refuses it.
    let mut tx = sqlx::Connection::begin(&mut c).await.unwrap();
    assert!(tx.begin_with("BEGIN IMMEDIATE").await.is_err());
}

#[tokio::test]
async fn scripts_of_several_statements_run_as_a_batch() {
    let mut c = memory().await;
    c.execute("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (7);")
        .await
        .unwrap();
    let x: i64 = sqlx::query_scalar("SELECT x FROM a")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(x, 7);
    let refused = sqlx::query("INSERT INTO a VALUES ($1); INSERT INTO b VALUES ($1)")
        .bind(1_i64)
        .execute(&mut c)
        .await;
    assert!(
        refused.is_err(),
        "a script with arguments is refused, not cut short"
    );
    let one = sqlx::query("SELECT x FROM a WHERE x <> $1 AND ';' = ';';")
        .bind(0_i64)
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "one statement with a ; in a literal");
}

#[tokio::test]
async fn migrations_apply_once_and_are_recorded_like_sqlx_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    crate::db::install_drivers();
    for _ in 0..2 {
        let mut c = AnyConnection::connect(&url).await.unwrap();
        crate::migrate::migrator(crate::Dialect::Sqlite)
            .await
            .unwrap()
            .run(&mut c)
            .await
            .unwrap();
    }
    let mut c = AnyConnection::connect(&url).await.unwrap();
    let rows =
        sqlx::query("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert_eq!(rows.len(), crate::migrate::NAMES.len());
    assert!(rows.iter().all(|r| r.get::<i64, _>("success") == 1));
    assert!(
        rows.iter()
            .all(|r| r.get::<Vec<u8>, _>("checksum").len() == 48),
        "SHA-384"
    );
}

#[tokio::test]
async fn urls_choose_the_file_and_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a b.db");
    crate::db::install_drivers();
    let missing = format!("sqlite://{}", path.display());
    assert!(
        AnyConnection::connect(&missing).await.is_err(),
        "mode rw does not create"
    );
    let encoded = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("a%20b.db").display()
    );
    AnyConnection::connect(&encoded).await.unwrap();
    assert!(path.is_file(), "percent-decoded path");
    assert!(AnyConnection::connect("sqlite::memory:?journal=x")
        .await
        .is_err());
    let mut ro = AnyConnection::connect(&format!("{missing}?mode=ro"))
        .await
        .unwrap();
    assert!(ro.execute("CREATE TABLE t (x INTEGER)").await.is_err());
}
