//! What serving file bytes writes: the per-server link-signing secret (migration
//! `0008_server_secret`) and the files' download counters.

use sqlx::{AnyConnection, Row as _};

use crate::Result;

/// The link-signing secret as hex; `candidate` is stored first if there is none yet (the first
/// node to ask wins; every node then reads the same row).
/// Writes (on SQLite: pass the writer; [`stored_server_secret`] reads on any connection).
pub async fn server_secret(conn: &mut AnyConnection, candidate: &str) -> Result<String> {
    if let Some(hex) = stored_server_secret(conn).await? {
        return Ok(hex);
    }
    sqlx::query(
        "INSERT INTO server_secret (id, secret_hex) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(candidate)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT secret_hex FROM server_secret WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// The link-signing secret as hex, if one was stored.
pub async fn stored_server_secret(conn: &mut AnyConnection) -> Result<Option<String>> {
    let row = sqlx::query("SELECT secret_hex FROM server_secret WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Counts one completed download of a file (not a tree change: no revision).
pub async fn count_download(conn: &mut AnyConnection, file_id: i64) -> Result<()> {
    sqlx::query("UPDATE files SET downloads = downloads + 1 WHERE id = $1")
        .bind(file_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
