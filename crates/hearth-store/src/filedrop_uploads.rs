//! Resumable upload sessions of FileDrop uploads (migration 0012): like the sessions of
//! [`crate::uploads`], but keyed by (FileDrop, hash, size) instead of (user, hash, size), so an
//! anonymous uploader never shares a session with the owner's own uploads. Their upload keys
//! are ordinary rows of `uploads` (owned by the FileDrop's owner), so poll_upload reports them.

use sqlx::any::AnyRow;
use sqlx::Row as _;

pub use crate::uploads::{RESUMABLE_ASSEMBLING, RESUMABLE_DONE, RESUMABLE_RECEIVING};
use crate::{Conn as AnyConnection, Result};

/// One resumable session of a FileDrop upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropSessionRow {
    pub id: i64,
    pub filedrop_id: i64,
    /// The FileDrop's owner: the file lands in this account.
    pub user_id: i64,
    pub hash: String,
    pub size: i64,
    pub upload_key: String,
    pub file_name: String,
    /// Sub-folder path below the FileDrop's folder.
    pub path: Option<String>,
    pub unit_size: i64,
    pub number_of_units: i64,
    pub state: i64,
    pub created_us: i64,
    pub expires_us: i64,
}

const COLS: &str = "id, filedrop_id, user_id, hash, size, upload_key, file_name, path, \
                    unit_size, number_of_units, state, created_us, expires_us";

impl DropSessionRow {
    fn from_row(r: &AnyRow) -> Result<DropSessionRow> {
        Ok(DropSessionRow {
            id: r.try_get(0)?,
            filedrop_id: r.try_get(1)?,
            user_id: r.try_get(2)?,
            hash: r.try_get(3)?,
            size: r.try_get(4)?,
            upload_key: r.try_get(5)?,
            file_name: r.try_get(6)?,
            path: r.try_get(7)?,
            unit_size: r.try_get(8)?,
            number_of_units: r.try_get(9)?,
            state: r.try_get(10)?,
            created_us: r.try_get(11)?,
            expires_us: r.try_get(12)?,
        })
    }
}

/// Inserts a session unless one exists for (FileDrop, hash, size); returns whether it inserted.
pub async fn insert_session(conn: &mut AnyConnection, r: &DropSessionRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO filedrop_resumables (filedrop_id, user_id, hash, size, upload_key, \
         file_name, path, unit_size, number_of_units, state, created_us, expires_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (filedrop_id, hash, size) DO NOTHING",
    )
    .bind(r.filedrop_id)
    .bind(r.user_id)
    .bind(&r.hash)
    .bind(r.size)
    .bind(&r.upload_key)
    .bind(&r.file_name)
    .bind(&r.path)
    .bind(r.unit_size)
    .bind(r.number_of_units)
    .bind(r.state)
    .bind(r.created_us)
    .bind(r.expires_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session of (FileDrop, hash, size).
pub async fn session_by_content(
    conn: &mut AnyConnection,
    filedrop_id: i64,
    hash: &str,
    size: i64,
) -> Result<Option<DropSessionRow>> {
    let sql = format!(
        "SELECT {COLS} FROM filedrop_resumables \
         WHERE filedrop_id = $1 AND hash = $2 AND size = $3"
    );
    let row = sqlx::query(&sql)
        .bind(filedrop_id)
        .bind(hash)
        .bind(size)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(DropSessionRow::from_row).transpose()
}

/// Sets the name and sub-folder path of a receiving session (a later check) and its expiry.
pub async fn retarget_session(
    conn: &mut AnyConnection,
    id: i64,
    file_name: &str,
    path: Option<&str>,
    expires_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE filedrop_resumables SET file_name = $2, path = $3, expires_us = $4 \
         WHERE id = $1 AND state = $5",
    )
    .bind(id)
    .bind(file_name)
    .bind(path)
    .bind(expires_us)
    .bind(RESUMABLE_RECEIVING)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a session from state `from` to `to`; false if it was not in `from`.
pub async fn set_session_state(
    conn: &mut AnyConnection,
    id: i64,
    from: i64,
    to: i64,
    expires_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE filedrop_resumables SET state = $3, expires_us = $4 WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(expires_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a received unit; one already recorded is left as it is (idempotent retries).
pub async fn insert_unit(
    conn: &mut AnyConnection,
    session_id: i64,
    unit_id: i64,
    hash: &str,
    size: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO filedrop_resumable_units (session_id, unit_id, hash, size) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, unit_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(unit_id)
    .bind(hash)
    .bind(size)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The ids of the units received so far, ascending.
pub async fn unit_ids(conn: &mut AnyConnection, session_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT unit_id FROM filedrop_resumable_units WHERE session_id = $1 ORDER BY unit_id",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// Removes a session and its unit rows.
pub async fn delete_session(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM filedrop_resumable_units WHERE session_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM filedrop_resumables WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sessions that expired before `now_us`, at most `limit`.
pub async fn expired_sessions(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<DropSessionRow>> {
    let sql = format!(
        "SELECT {COLS} FROM filedrop_resumables WHERE expires_us < $1 \
         ORDER BY expires_us LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now_us)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(DropSessionRow::from_row).collect()
}
