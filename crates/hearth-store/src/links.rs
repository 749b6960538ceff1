//! One-time download keys, FileDrops and avatars chosen from a stored image (migration
//! `0004_links`).
//!
//! Functions take a connection (a [`crate::WriteTx`] derefs to one) so the core composes them
//! with tree changes in one transaction. One-time tokens are stored only as their SHA-256
//! ([`crate::accounts::token_hash`]); FileDrop keys are public upload keys and stored as they
//! are (an owner re-configuring a drop gets the same key back).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use crate::dialect::{flag, is_set};
use crate::{Result, StoreError};

// ---------------------------------------------------------------------------------------------
// One-time keys

const OTK_COLS: &str = "id, user_id, file_id, token_hash, created_us, expires_us, uses_left, \
     revoked, burn_after_use, bind_ip, email_notification, success_callback_url, error_callback_url";

/// A one-time key as stored: what a download needs to decide (file, expiry, uses left, revoked,
/// bound addresses) and what it should do afterwards (notification, callbacks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub file_id: i64,
    pub token_hash: String,
    pub created_us: i64,
    pub expires_us: i64,
    /// -1: any number of uses until `expires_us`; otherwise the uses that remain.
    pub uses_left: i64,
    pub revoked: bool,
    pub burn_after_use: bool,
    /// Normalised comma list of addresses, CIDR masks and ranges; empty = any address.
    pub bind_ip: String,
    pub email_notification: bool,
    pub success_callback_url: String,
    pub error_callback_url: String,
}

impl OneTimeKeyRow {
    fn from_row(r: &AnyRow) -> Result<OneTimeKeyRow> {
        Ok(OneTimeKeyRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            file_id: r.try_get(2)?,
            token_hash: r.try_get(3)?,
            created_us: r.try_get(4)?,
            expires_us: r.try_get(5)?,
            uses_left: r.try_get(6)?,
            revoked: is_set(r.try_get(7)?),
            burn_after_use: is_set(r.try_get(8)?),
            bind_ip: r.try_get(9)?,
            email_notification: is_set(r.try_get(10)?),
            success_callback_url: r.try_get(11)?,
            error_callback_url: r.try_get(12)?,
        })
    }

    /// Usable for a download at `now_us` (the address check is the caller's).
    pub fn usable(&self, now_us: i64) -> bool {
        !self.revoked && now_us < self.expires_us && self.uses_left != 0
    }
}

/// The settings of a one-time key, as created or re-configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeKeySettings<'a> {
    pub expires_us: i64,
    pub uses_left: i64,
    pub revoked: bool,
    pub burn_after_use: bool,
    pub bind_ip: &'a str,
    pub email_notification: bool,
    pub success_callback_url: &'a str,
    pub error_callback_url: &'a str,
}

pub async fn insert_one_time_key(
    conn: &mut AnyConnection,
    user_id: i64,
    file_id: i64,
    token_hash: &str,
    created_us: i64,
    s: &OneTimeKeySettings<'_>,
) -> Result<OneTimeKeyRow> {
    let sql = format!(
        "INSERT INTO one_time_keys (user_id, file_id, token_hash, created_us, expires_us, uses_left, \
         revoked, burn_after_use, bind_ip, email_notification, success_callback_url, error_callback_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {OTK_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(user_id)
        .bind(file_id)
        .bind(token_hash)
        .bind(created_us)
        .bind(s.expires_us)
        .bind(s.uses_left)
        .bind(flag(s.revoked))
        .bind(flag(s.burn_after_use))
        .bind(s.bind_ip)
        .bind(flag(s.email_notification))
        .bind(s.success_callback_url)
        .bind(s.error_callback_url)
        .fetch_one(&mut *conn)
        .await?;
    OneTimeKeyRow::from_row(&row)
}

pub async fn one_time_key_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<OneTimeKeyRow>> {
    let sql = format!("SELECT {OTK_COLS} FROM one_time_keys WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(OneTimeKeyRow::from_row).transpose()
}

/// Replaces the settings of a one-time key.
pub async fn update_one_time_key(
    conn: &mut AnyConnection,
    id: i64,
    s: &OneTimeKeySettings<'_>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE one_time_keys SET expires_us = $2, uses_left = $3, revoked = $4, burn_after_use = $5, \
         bind_ip = $6, email_notification = $7, success_callback_url = $8, error_callback_url = $9 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(s.expires_us)
    .bind(s.uses_left)
    .bind(flag(s.revoked))
    .bind(flag(s.burn_after_use))
    .bind(s.bind_ip)
    .bind(flag(s.email_notification))
    .bind(s.success_callback_url)
    .bind(s.error_callback_url)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One use of a key, atomically: `true` when the key was usable at `now_us` and a use was
/// taken (a key with a use count loses one). For the download path.
pub async fn take_one_time_use(conn: &mut AnyConnection, id: i64, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE one_time_keys SET uses_left = CASE WHEN uses_left > 0 THEN uses_left - 1 ELSE uses_left END \
         WHERE id = $1 AND revoked = 0 AND expires_us > $2 AND uses_left <> 0",
    )
    .bind(id)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keys a user created at or after `since_us` (the daily allowance counts these).
pub async fn count_one_time_keys_since(
    conn: &mut AnyConnection,
    user_id: i64,
    since_us: i64,
) -> Result<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) FROM one_time_keys WHERE user_id = $1 AND created_us >= $2")
            .bind(user_id)
            .bind(since_us)
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Removes a user's keys created and expired (or revoked) before `before_us`: they neither
/// count against the allowance nor open anything any more.
pub async fn prune_one_time_keys(
    conn: &mut AnyConnection,
    user_id: i64,
    before_us: i64,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM one_time_keys WHERE user_id = $1 AND created_us < $2 \
         AND (expires_us < $2 OR revoked = 1 OR uses_left = 0)",
    )
    .bind(user_id)
    .bind(before_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// FileDrops

const DROP_COLS: &str = "id, user_id, folder_id, filedrop_key, allow_description, \
     allow_multiple_uploads, embed_size, message, notification_emails, created_us, updated_us";

/// A folder's FileDrop configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiledropRow {
    pub id: i64,
    pub user_id: i64,
    pub folder_id: i64,
    /// 64 lowercase hex digits: what uploaders send as `filedrop_key`.
    pub filedrop_key: String,
    pub allow_description: bool,
    pub allow_multiple_uploads: bool,
    /// `480` or `full`.
    pub embed_size: String,
    pub message: String,
    pub notification_emails: bool,
    pub created_us: i64,
    pub updated_us: i64,
}

impl FiledropRow {
    fn from_row(r: &AnyRow) -> Result<FiledropRow> {
        Ok(FiledropRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            folder_id: r.try_get(2)?,
            filedrop_key: r.try_get(3)?,
            allow_description: is_set(r.try_get(4)?),
            allow_multiple_uploads: is_set(r.try_get(5)?),
            embed_size: r.try_get(6)?,
            message: r.try_get(7)?,
            notification_emails: is_set(r.try_get(8)?),
            created_us: r.try_get(9)?,
            updated_us: r.try_get(10)?,
        })
    }
}

/// The settings of a FileDrop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiledropSettings<'a> {
    pub allow_description: bool,
    pub allow_multiple_uploads: bool,
    pub embed_size: &'a str,
    pub message: &'a str,
    pub notification_emails: bool,
}

pub async fn filedrop_by_folder(
    conn: &mut AnyConnection,
    folder_id: i64,
) -> Result<Option<FiledropRow>> {
    let sql = format!("SELECT {DROP_COLS} FROM filedrops WHERE folder_id = $1");
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FiledropRow::from_row).transpose()
}

/// The FileDrop an uploader names by its key (for the upload path).
pub async fn filedrop_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<FiledropRow>> {
    let sql = format!("SELECT {DROP_COLS} FROM filedrops WHERE filedrop_key = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FiledropRow::from_row).transpose()
}

/// Creates the folder's FileDrop with `key`, or replaces the settings of the existing one
/// (whose key stays). Returns the row as stored.
pub async fn upsert_filedrop(
    conn: &mut AnyConnection,
    user_id: i64,
    folder_id: i64,
    key: &str,
    now_us: i64,
    s: &FiledropSettings<'_>,
) -> Result<FiledropRow> {
    let sql = format!(
        "INSERT INTO filedrops (user_id, folder_id, filedrop_key, allow_description, \
         allow_multiple_uploads, embed_size, message, notification_emails, created_us, updated_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (folder_id) DO UPDATE SET allow_description = excluded.allow_description, \
         allow_multiple_uploads = excluded.allow_multiple_uploads, embed_size = excluded.embed_size, \
         message = excluded.message, notification_emails = excluded.notification_emails, \
         updated_us = excluded.updated_us RETURNING {DROP_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(user_id)
        .bind(folder_id)
        .bind(key)
        .bind(flag(s.allow_description))
        .bind(flag(s.allow_multiple_uploads))
        .bind(s.embed_size)
        .bind(s.message)
        .bind(flag(s.notification_emails))
        .bind(now_us)
        .fetch_one(&mut *conn)
        .await?;
    FiledropRow::from_row(&row)
}

/// Removes the folder's FileDrop; `false` when it had none.
pub async fn delete_filedrop(conn: &mut AnyConnection, folder_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM filedrops WHERE folder_id = $1")
        .bind(folder_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Which of `folder_ids` have a FileDrop (one query for a listing page).
pub async fn filedrop_folders(conn: &mut AnyConnection, folder_ids: &[i64]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    // Bounded statements: a page has at most 1000 folders.
    for chunk in folder_ids.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT folder_id FROM filedrops WHERE folder_id IN ({})",
            params.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(r.try_get::<i64, _>(0)?);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Avatars from a stored image

/// Records that a user's avatar is the image file `quickkey`.
pub async fn set_avatar_file(
    conn: &mut AnyConnection,
    user_id: i64,
    quickkey: &str,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_avatars (user_id, quickkey, set_us) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET quickkey = excluded.quickkey, set_us = excluded.set_us",
    )
    .bind(user_id)
    .bind(quickkey)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the image a user's avatar was set from.
pub async fn clear_avatar_file(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM user_avatars WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The quickkey a user's avatar was set from, if any.
pub async fn avatar_file(conn: &mut AnyConnection, user_id: i64) -> Result<Option<String>> {
    let row = sqlx::query("SELECT quickkey FROM user_avatars WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
}
