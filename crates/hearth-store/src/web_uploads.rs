//! Web uploads (migration 0010): one row per `upload/add_web_upload`, with its progress, beside
//! the upload key's row in `uploads` (which `upload/poll_upload` reads).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::{Conn as AnyConnection, Dialect, Result};

/// One web upload and its progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebUploadRow {
    pub id: i64,
    pub upload_key: String,
    pub user_id: i64,
    pub url: String,
    /// The requested name, or the one taken from the response; the final name once placed.
    pub file_name: String,
    pub folder_key: Option<String>,
    pub path: Option<String>,
    /// 1 entered, 2 started, 3 transferring, 4 downloaded, 99 complete.
    pub status: i64,
    /// 0, or the fileerror code of a failed upload.
    pub error_status: i64,
    pub error_message: String,
    pub received: i64,
    /// Content-Length of the response; -1 while unknown.
    pub total: i64,
    pub quickkey: String,
    pub created_us: i64,
    pub updated_us: i64,
    /// A row still running after this belongs to a process that died.
    pub expires_us: i64,
}

const COLS: &str = "id, upload_key, user_id, url, file_name, folder_key, path, status, \
                    error_status, error_message, received, total, quickkey, created_us, \
                    updated_us, expires_us";

impl WebUploadRow {
    fn from_row(r: &AnyRow) -> Result<WebUploadRow> {
        Ok(WebUploadRow {
            id: r.try_get(0)?,
            upload_key: r.try_get(1)?,
            user_id: r.try_get(2)?,
            url: r.try_get(3)?,
            file_name: r.try_get(4)?,
            folder_key: r.try_get(5)?,
            path: r.try_get(6)?,
            status: r.try_get(7)?,
            error_status: r.try_get(8)?,
            error_message: r.try_get(9)?,
            received: r.try_get(10)?,
            total: r.try_get(11)?,
            quickkey: r.try_get(12)?,
            created_us: r.try_get(13)?,
            updated_us: r.try_get(14)?,
            expires_us: r.try_get(15)?,
        })
    }
}

/// Locks the user's row until the transaction ends (PostgreSQL; SQLite's write transaction
/// already excludes every other writer), so that counting and inserting are one step.
pub async fn lock_user(conn: &mut AnyConnection, dialect: Dialect, user_id: i64) -> Result<()> {
    let sql = format!("SELECT id FROM users WHERE id = $1{}", dialect.for_update());
    sqlx::query(&sql)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(())
}

/// How many of the user's web uploads are below `done` (still running).
pub async fn count_running(conn: &mut AnyConnection, user_id: i64, done: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM web_uploads WHERE user_id = $1 AND status < $2")
        .bind(user_id)
        .bind(done)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// Records a web upload (`id` is ignored); returns its id.
pub async fn insert_web_upload(conn: &mut AnyConnection, w: &WebUploadRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO web_uploads (upload_key, user_id, url, file_name, folder_key, path, status, \
         error_status, error_message, received, total, quickkey, created_us, updated_us, \
         expires_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&w.upload_key)
    .bind(w.user_id)
    .bind(&w.url)
    .bind(&w.file_name)
    .bind(&w.folder_key)
    .bind(&w.path)
    .bind(w.status)
    .bind(w.error_status)
    .bind(&w.error_message)
    .bind(w.received)
    .bind(w.total)
    .bind(&w.quickkey)
    .bind(w.created_us)
    .bind(w.updated_us)
    .bind(w.expires_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// The web upload with this key.
pub async fn web_upload_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<WebUploadRow>> {
    let sql = format!("SELECT {COLS} FROM web_uploads WHERE upload_key = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(WebUploadRow::from_row).transpose()
}

/// The user's web uploads, newest first, at most `limit`: only those below `running_below`
/// when it is given, only `key` when it is given.
pub async fn list_web_uploads(
    conn: &mut AnyConnection,
    user_id: i64,
    running_below: Option<i64>,
    key: Option<&str>,
    limit: i64,
) -> Result<Vec<WebUploadRow>> {
    let sql = format!(
        "SELECT {COLS} FROM web_uploads WHERE user_id = $1 \
         AND ($2 < 0 OR status < $2) AND ($3 = '' OR upload_key = $3) \
         ORDER BY id DESC LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(running_below.unwrap_or(-1))
        .bind(key.unwrap_or(""))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(WebUploadRow::from_row).collect()
}

/// Records progress of a running web upload (a finished one is left alone).
#[allow(clippy::too_many_arguments)]
pub async fn set_progress(
    conn: &mut AnyConnection,
    key: &str,
    status: i64,
    received: i64,
    total: i64,
    file_name: &str,
    now_us: i64,
    done: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE web_uploads SET status = $2, received = $3, total = $4, file_name = $5, \
         updated_us = $6 WHERE upload_key = $1 AND status < $7",
    )
    .bind(key)
    .bind(status)
    .bind(received)
    .bind(total)
    .bind(file_name)
    .bind(now_us)
    .bind(done)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends a web upload: status `done`, its error (0 = none), file and final figures.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    conn: &mut AnyConnection,
    key: &str,
    done: i64,
    error_status: i64,
    error_message: &str,
    quickkey: &str,
    file_name: &str,
    received: i64,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE web_uploads SET status = $2, error_status = $3, error_message = $4, \
         quickkey = $5, file_name = $6, received = $7, updated_us = $8 WHERE upload_key = $1",
    )
    .bind(key)
    .bind(done)
    .bind(error_status)
    .bind(error_message)
    .bind(quickkey)
    .bind(file_name)
    .bind(received)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends every web upload still below `done` that was created before `created_before` or expired
/// before `now_us` as failed with `error_status`, and its upload key (status `done`, the same
/// code as fileerror). Returns how many it ended.
pub async fn fail_interrupted(
    conn: &mut AnyConnection,
    created_before: i64,
    now_us: i64,
    done: i64,
    error_status: i64,
    error_message: &str,
) -> Result<u64> {
    sqlx::query(
        "UPDATE uploads SET status = $3, fileerror = $4, updated_us = $2 WHERE upload_key IN \
         (SELECT upload_key FROM web_uploads WHERE status < $3 \
          AND (created_us < $1 OR expires_us < $2))",
    )
    .bind(created_before)
    .bind(now_us)
    .bind(done)
    .bind(error_status.to_string())
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(
        "UPDATE web_uploads SET status = $3, error_status = $4, error_message = $5, \
         updated_us = $2 WHERE status < $3 AND (created_us < $1 OR expires_us < $2)",
    )
    .bind(created_before)
    .bind(now_us)
    .bind(done)
    .bind(error_status)
    .bind(error_message)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected())
}

/// Removes an upload key's row (the inner key of a web upload, once its result is copied).
pub async fn delete_upload_key(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM uploads WHERE upload_key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets the poll status of an upload key that is still running (below 99).
pub async fn set_upload_status(
    conn: &mut AnyConnection,
    key: &str,
    status: i64,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE uploads SET status = $2, updated_us = $3 WHERE upload_key = $1 AND status < 99",
    )
    .bind(key)
    .bind(status)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends an upload key as failed: status `done`, `fileerror`, the name and bytes received.
pub async fn fail_upload_key(
    conn: &mut AnyConnection,
    key: &str,
    done: i64,
    fileerror: &str,
    file_name: &str,
    size: i64,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE uploads SET status = $2, fileerror = $3, file_name = $4, size = $5, \
         quickkey = '', updated_us = $6 WHERE upload_key = $1",
    )
    .bind(key)
    .bind(done)
    .bind(fileerror)
    .bind(file_name)
    .bind(size)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
