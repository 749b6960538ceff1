//! Upload keys (migration 0007), resumable sessions and their units (0009; FileDrop sessions
//! since 0012), and the content look-ups of the upload calls: whether a user already holds some content (dedup is per
//! account), and in which folder.

use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::{Conn as AnyConnection, Result};

/// One upload key and its processing state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    pub upload_key: String,
    pub user_id: i64,
    pub folder_id: Option<i64>,
    pub file_name: String,
    pub size: i64,
    pub hash: String,
    pub status: i64,
    /// `""` or a fileerror code.
    pub fileerror: String,
    /// The created or updated file, `""` on failure.
    pub quickkey: String,
    pub revision: i64,
    pub created_us: i64,
    pub updated_us: i64,
}

const UPLOAD_COLS: &str = "upload_key, user_id, folder_id, file_name, size, hash, status, \
                           fileerror, quickkey, revision, created_us, updated_us";

impl UploadRow {
    fn from_row(r: &AnyRow) -> Result<UploadRow> {
        Ok(UploadRow {
            upload_key: r.try_get(0)?,
            user_id: r.try_get(1)?,
            folder_id: r.try_get(2)?,
            file_name: r.try_get(3)?,
            size: r.try_get(4)?,
            hash: r.try_get(5)?,
            status: r.try_get(6)?,
            fileerror: r.try_get(7)?,
            quickkey: r.try_get(8)?,
            revision: r.try_get(9)?,
            created_us: r.try_get(10)?,
            updated_us: r.try_get(11)?,
        })
    }
}

/// Records an upload key.
pub async fn insert_upload(conn: &mut AnyConnection, u: &UploadRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO uploads (upload_key, user_id, folder_id, file_name, size, hash, status, \
         fileerror, quickkey, revision, created_us, updated_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&u.upload_key)
    .bind(u.user_id)
    .bind(u.folder_id)
    .bind(&u.file_name)
    .bind(u.size)
    .bind(&u.hash)
    .bind(u.status)
    .bind(&u.fileerror)
    .bind(&u.quickkey)
    .bind(u.revision)
    .bind(u.created_us)
    .bind(u.updated_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The upload with this key.
pub async fn upload_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<UploadRow>> {
    let sql = format!("SELECT {UPLOAD_COLS} FROM uploads WHERE upload_key = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(UploadRow::from_row).transpose()
}

/// The size of stored content `hash`, whoever holds it (global dedup). A row at zero
/// references counts: the collector has not removed it, and referencing it again re-checks its
/// bytes inside the referencing transaction (hearth-core gc.rs).
pub async fn stored_content_size(conn: &mut AnyConnection, hash: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT size FROM contents WHERE hash = $1")
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
    first_size(row)
}

/// The size of content `hash` when `user_id` holds it: as the head of one of their files (live
/// or in the trash) or as a kept earlier version. `None` when the user does not hold it, even if
/// someone else does (dedup never reveals other accounts' content).
pub async fn user_content_size(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT size FROM files WHERE user_id = $1 AND hash = $2 \
         UNION ALL \
         SELECT v.size FROM file_versions v JOIN files f ON f.id = v.file_id \
         WHERE f.user_id = $1 AND v.hash = $2 \
         LIMIT 1",
    )
    .bind(user_id)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    first_size(row)
}

fn first_size(row: Option<sqlx::any::AnyRow>) -> Result<Option<i64>> {
    Ok(match row {
        Some(r) => Some(r.try_get::<i64, _>(0)?),
        None => None,
    })
}

/// Whether a live file of folder `folder_id` has content `hash`.
pub async fn folder_has_content(
    conn: &mut AnyConnection,
    folder_id: i64,
    hash: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT id FROM files WHERE folder_id = $1 AND trash_state = 0 AND hash = $2 LIMIT 1",
    )
    .bind(folder_id)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

// ---------------------------------------------------------------------------------------------
// Resumable sessions (migration 0009)

/// Session state: units are arriving.
pub const RESUMABLE_RECEIVING: i64 = 0;
/// Session state: every unit is in and one request is assembling the file.
pub const RESUMABLE_ASSEMBLING: i64 = 1;
/// Session state: assembled (or failed); kept until expiry so check reports every unit in.
pub const RESUMABLE_DONE: i64 = 2;

/// One resumable upload session, keyed by (user, FileDrop, hash, size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumableRow {
    pub id: i64,
    /// The account the file lands in (a FileDrop's owner for a FileDrop upload).
    pub user_id: i64,
    /// The FileDrop an anonymous uploader sends into; 0 for the user's own sessions, which a
    /// FileDrop uploader therefore never sees nor continues.
    pub filedrop_id: i64,
    pub hash: String,
    pub size: i64,
    pub upload_key: String,
    pub file_name: String,
    pub folder_key: Option<String>,
    pub path: Option<String>,
    pub unit_size: i64,
    pub number_of_units: i64,
    pub state: i64,
    pub created_us: i64,
    pub expires_us: i64,
}

const RESUMABLE_COLS: &str = "id, user_id, hash, size, upload_key, file_name, folder_key, path, \
                              unit_size, number_of_units, state, created_us, expires_us, \
                              filedrop_id";

impl ResumableRow {
    fn from_row(r: &AnyRow) -> Result<ResumableRow> {
        Ok(ResumableRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            hash: r.try_get(2)?,
            size: r.try_get(3)?,
            upload_key: r.try_get(4)?,
            file_name: r.try_get(5)?,
            folder_key: r.try_get(6)?,
            path: r.try_get(7)?,
            unit_size: r.try_get(8)?,
            number_of_units: r.try_get(9)?,
            state: r.try_get(10)?,
            created_us: r.try_get(11)?,
            expires_us: r.try_get(12)?,
            filedrop_id: r.try_get(13)?,
        })
    }
}

/// Inserts a session unless one exists for (user, FileDrop, hash, size); returns whether it
/// inserted.
pub async fn insert_resumable(conn: &mut AnyConnection, r: &ResumableRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO resumable_uploads (user_id, hash, size, upload_key, file_name, folder_key, \
         path, unit_size, number_of_units, state, created_us, expires_us, filedrop_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (user_id, filedrop_id, hash, size) DO NOTHING",
    )
    .bind(r.user_id)
    .bind(&r.hash)
    .bind(r.size)
    .bind(&r.upload_key)
    .bind(&r.file_name)
    .bind(&r.folder_key)
    .bind(&r.path)
    .bind(r.unit_size)
    .bind(r.number_of_units)
    .bind(r.state)
    .bind(r.created_us)
    .bind(r.expires_us)
    .bind(r.filedrop_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session of (user, FileDrop — 0 for the user's own —, hash, size).
pub async fn resumable_by_content(
    conn: &mut AnyConnection,
    user_id: i64,
    filedrop_id: i64,
    hash: &str,
    size: i64,
) -> Result<Option<ResumableRow>> {
    let sql = format!(
        "SELECT {RESUMABLE_COLS} FROM resumable_uploads \
         WHERE user_id = $1 AND filedrop_id = $2 AND hash = $3 AND size = $4"
    );
    let row = sqlx::query(&sql)
        .bind(user_id)
        .bind(filedrop_id)
        .bind(hash)
        .bind(size)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ResumableRow::from_row).transpose()
}

/// Sets the name and destination of a receiving session (a later check) and its expiry.
pub async fn retarget_resumable(
    conn: &mut AnyConnection,
    id: i64,
    file_name: &str,
    folder_key: Option<&str>,
    path: Option<&str>,
    expires_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE resumable_uploads SET file_name = $2, folder_key = $3, path = $4, \
         expires_us = $5 WHERE id = $1 AND state = $6",
    )
    .bind(id)
    .bind(file_name)
    .bind(folder_key)
    .bind(path)
    .bind(expires_us)
    .bind(RESUMABLE_RECEIVING)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a session from state `from` to `to`; false if it was not in `from` (someone else
/// claimed it first).
pub async fn set_resumable_state(
    conn: &mut AnyConnection,
    id: i64,
    from: i64,
    to: i64,
    expires_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE resumable_uploads SET state = $3, expires_us = $4 WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(expires_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a received unit; a unit already recorded is left as it is (idempotent retries).
pub async fn insert_unit(
    conn: &mut AnyConnection,
    session_id: i64,
    unit_id: i64,
    hash: &str,
    size: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO resumable_units (session_id, unit_id, hash, size) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (session_id, unit_id) DO NOTHING",
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
    let rows =
        sqlx::query("SELECT unit_id FROM resumable_units WHERE session_id = $1 ORDER BY unit_id")
            .bind(session_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// Removes a session and its unit rows.
pub async fn delete_resumable(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM resumable_units WHERE session_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM resumable_uploads WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sessions left in the assembling state (a server that died while assembling them).
pub async fn assembling_resumables(conn: &mut AnyConnection) -> Result<Vec<ResumableRow>> {
    let sql =
        format!("SELECT {RESUMABLE_COLS} FROM resumable_uploads WHERE state = $1 ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(RESUMABLE_ASSEMBLING)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ResumableRow::from_row).collect()
}

/// Bytes of received units that `user_id`'s unfinished sessions other than `except_id` hold
/// (spooled, not yet a file): they count against the quota while they wait.
pub async fn spooled_bytes(conn: &mut AnyConnection, user_id: i64, except_id: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(u.size), 0) AS BIGINT) FROM resumable_units u \
         JOIN resumable_uploads s ON s.id = u.session_id \
         WHERE s.user_id = $1 AND s.id <> $2 AND s.state <> $3",
    )
    .bind(user_id)
    .bind(except_id)
    .bind(RESUMABLE_DONE)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Sessions that expired before `now_us`, at most `limit`.
pub async fn expired_resumables(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<ResumableRow>> {
    let sql = format!(
        "SELECT {RESUMABLE_COLS} FROM resumable_uploads WHERE expires_us < $1 \
         ORDER BY expires_us LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now_us)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ResumableRow::from_row).collect()
}

/// Updates the processing state of an upload key (everything but the key and the user).
pub async fn update_upload(conn: &mut AnyConnection, u: &UploadRow) -> Result<()> {
    sqlx::query(
        "UPDATE uploads SET folder_id = $2, file_name = $3, size = $4, hash = $5, status = $6, \
         fileerror = $7, quickkey = $8, revision = $9, created_us = $10, updated_us = $11 \
         WHERE upload_key = $1",
    )
    .bind(&u.upload_key)
    .bind(u.folder_id)
    .bind(&u.file_name)
    .bind(u.size)
    .bind(&u.hash)
    .bind(u.status)
    .bind(&u.fileerror)
    .bind(&u.quickkey)
    .bind(u.revision)
    .bind(u.created_us)
    .bind(u.updated_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes an upload key that never finished (an expired resumable session's).
pub async fn delete_unfinished_upload(
    conn: &mut AnyConnection,
    key: &str,
    done_status: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM uploads WHERE upload_key = $1 AND status <> $2")
        .bind(key)
        .bind(done_status)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
