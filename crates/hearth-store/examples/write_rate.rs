//! Measures sequential single-statement writes and point reads per second through the store (a
//! quick check of the SQLite settings and of the driver's per-query cost): `cargo run --release -p hearth-store --example write_rate`.

use hearth_store::accounts::{self, NewUser, SessionRow};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = hearth_store::Db::open_data_dir(dir.path()).await?;
    let user = accounts::create_user(
        &db,
        NewUser {
            email: "a@b.c".into(),
            password_hash: "x".into(),
            ekey: "e".into(),
            pkey: "p".into(),
            quota_bytes: 1,
            ..Default::default()
        },
    )
    .await?;
    let row = SessionRow {
        token_hash: "h".into(),
        user_id: user.id,
        app_id: 1,
        version: 2,
        secret_key: 1,
        time_text: "t".into(),
        created_us: 0,
        expires_us: i64::MAX,
        claimed_until_us: 0,
    };
    accounts::insert_session(&db, &row).await?;
    use sqlx::Row;
    for (name, pool) in [("reader", db.pool()), ("writer", db.writer())] {
        let sync: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        println!("{name}: synchronous={sync} journal_mode={mode}");
    }
    let n = 5000;
    let t = Instant::now();
    for i in 0..n {
        accounts::extend_session(&db, "h", i).await?;
    }
    let w = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        accounts::session_by_hash(&db, "h").await?;
    }
    let r = t.elapsed();
    println!(
        "writes: {:.0}/s ({:.1} us each); reads: {:.0}/s ({:.1} us each)",
        n as f64 / w.as_secs_f64(),
        w.as_micros() as f64 / n as f64,
        n as f64 / r.as_secs_f64(),
        r.as_micros() as f64 / n as f64
    );
    Ok(())
}
