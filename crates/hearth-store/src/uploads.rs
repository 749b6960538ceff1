//! Upload keys (migration 0007) and the content look-ups of the upload calls: whether a user
//! already holds some content (dedup is per account), and in which folder.

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
