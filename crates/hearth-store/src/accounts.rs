//! Users, user settings, applications, session tokens and action tokens.
//!
//! Lookups return `Ok(None)` when nothing matches; mutations addressing a missing row return
//! [`StoreError::NotFound`]; a taken unique key is [`StoreError::Conflict`]. Times are `i64`
//! microseconds, passed in by the caller wherever the outcome depends on "now".

use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::dialect::{flag, is_set};
use crate::{Db, Result, StoreError};

/// Hex SHA-256 of a token: the key under which session and action tokens are stored (the token
/// itself never is).
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn not_found_unless(affected: u64) -> Result<()> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Users

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub gender: String,
    pub birth_date: String,
    pub location: String,
    pub website: String,
    pub ekey: String,
    pub pkey: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_us: i64,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    pub device_revision: i64,
    pub failed_logins: i64,
    pub locked_until_us: i64,
    pub tos_accepted: String,
    pub avatar: String,
}

const USER_COLS: &str = "id, email, password_hash, first_name, last_name, display_name, gender, \
     birth_date, location, website, ekey, pkey, is_admin, disabled, created_us, quota_bytes, \
     used_bytes, device_revision, failed_logins, locked_until_us, tos_accepted, avatar";

impl UserRow {
    fn from_row(r: &AnyRow) -> Result<UserRow> {
        Ok(UserRow {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            password_hash: r.try_get("password_hash")?,
            first_name: r.try_get("first_name")?,
            last_name: r.try_get("last_name")?,
            display_name: r.try_get("display_name")?,
            gender: r.try_get("gender")?,
            birth_date: r.try_get("birth_date")?,
            location: r.try_get("location")?,
            website: r.try_get("website")?,
            ekey: r.try_get("ekey")?,
            pkey: r.try_get("pkey")?,
            is_admin: is_set(r.try_get("is_admin")?),
            disabled: is_set(r.try_get("disabled")?),
            created_us: r.try_get("created_us")?,
            quota_bytes: r.try_get("quota_bytes")?,
            used_bytes: r.try_get("used_bytes")?,
            device_revision: r.try_get("device_revision")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until_us: r.try_get("locked_until_us")?,
            tos_accepted: r.try_get("tos_accepted")?,
            avatar: r.try_get("avatar")?,
        })
    }
}

/// What [`create_user`] needs; everything else takes its column default.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    /// Stored lower-cased.
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub ekey: String,
    pub pkey: String,
    pub is_admin: bool,
    pub quota_bytes: i64,
    pub created_us: i64,
}

/// Creates a user. A taken e-mail (in any case) or ekey is [`StoreError::Conflict`].
pub async fn create_user(db: &Db, u: NewUser) -> Result<UserRow> {
    let sql = format!(
        "INSERT INTO users (email, password_hash, first_name, last_name, display_name, ekey, \
         pkey, is_admin, quota_bytes, created_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {USER_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(u.email.to_lowercase())
        .bind(u.password_hash)
        .bind(u.first_name)
        .bind(u.last_name)
        .bind(u.display_name)
        .bind(u.ekey)
        .bind(u.pkey)
        .bind(flag(u.is_admin))
        .bind(u.quota_bytes)
        .bind(u.created_us)
        .fetch_one(db.writer())
        .await?;
    UserRow::from_row(&row)
}

async fn user_where<T>(db: &Db, col: &str, value: T) -> Result<Option<UserRow>>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    let sql = format!("SELECT {USER_COLS} FROM users WHERE {col} = $1");
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(UserRow::from_row).transpose()
}

/// The user with this id.
pub async fn user_by_id(db: &Db, id: i64) -> Result<Option<UserRow>> {
    let Some(cache) = db.user_cache() else {
        return user_where(db, "id", id).await;
    };
    if let Some(row) = cache.get(id) {
        return Ok(Some(row));
    }
    let generation = cache.generation();
    let row = user_where(db, "id", id).await?;
    if let Some(r) = &row {
        cache.put(r, generation);
    }
    Ok(row)
}

/// The user with this e-mail, in any letter case.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>> {
    user_where(db, "email", email.to_lowercase()).await
}

/// The user with this ekey (the public account key).
pub async fn user_by_ekey(db: &Db, ekey: &str) -> Result<Option<UserRow>> {
    user_where(db, "ekey", ekey.to_owned()).await
}

/// All users, by id.
pub async fn list_users(db: &Db) -> Result<Vec<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(UserRow::from_row).collect()
}

/// How many users exist.
pub async fn count_users(db: &Db) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}

async fn update_user(db: &Db, sql: &str, id: i64, args: &[Arg<'_>]) -> Result<()> {
    let mut q = sqlx::query(sql).bind(id);
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.to_string()),
        };
    }
    let result = q.execute(db.writer()).await;
    db.forget_user(id);
    not_found_unless(result?.rows_affected())
}

enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// Replaces the password hash and the pkey (which changes with the password).
pub async fn set_password(db: &Db, id: i64, password_hash: &str, pkey: &str) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET password_hash = $2, pkey = $3 WHERE id = $1",
        id,
        &[Arg::Text(password_hash), Arg::Text(pkey)],
    )
    .await
}

/// Disables or re-enables an account.
pub async fn set_disabled(db: &Db, id: i64, disabled: bool) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET disabled = $2 WHERE id = $1",
        id,
        &[Arg::Int(flag(disabled))],
    )
    .await
}

/// Sets the storage quota in bytes.
pub async fn set_quota(db: &Db, id: i64, quota_bytes: i64) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET quota_bytes = $2 WHERE id = $1",
        id,
        &[Arg::Int(quota_bytes)],
    )
    .await
}

/// Records the terms-of-service revision the user accepted.
pub async fn set_tos_accepted(db: &Db, id: i64, revision: &str) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET tos_accepted = $2 WHERE id = $1",
        id,
        &[Arg::Text(revision)],
    )
    .await
}

/// Sets the avatar reference (empty = none).
pub async fn set_avatar(db: &Db, id: i64, avatar: &str) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET avatar = $2 WHERE id = $1",
        id,
        &[Arg::Text(avatar)],
    )
    .await
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    /// Stored lower-cased; a taken e-mail is [`StoreError::Conflict`].
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub location: Option<String>,
    pub website: Option<String>,
}

/// Updates only the `Some` fields and returns the row as it is afterwards.
pub async fn update_profile(db: &Db, id: i64, p: &ProfileUpdate) -> Result<UserRow> {
    let email = p.email.as_ref().map(|e| e.to_lowercase());
    let fields: [(&str, Option<&String>); 8] = [
        ("email", email.as_ref()),
        ("first_name", p.first_name.as_ref()),
        ("last_name", p.last_name.as_ref()),
        ("display_name", p.display_name.as_ref()),
        ("gender", p.gender.as_ref()),
        ("birth_date", p.birth_date.as_ref()),
        ("location", p.location.as_ref()),
        ("website", p.website.as_ref()),
    ];
    let mut sets = Vec::new();
    let mut values = Vec::new();
    for (col, v) in fields {
        if let Some(v) = v {
            values.push(v.clone());
            sets.push(format!("{col} = ${}", values.len() + 1));
        }
    }
    if sets.is_empty() {
        return user_by_id(db, id).await?.ok_or(StoreError::NotFound);
    }
    let sql = format!(
        "UPDATE users SET {} WHERE id = $1 RETURNING {USER_COLS}",
        sets.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(id);
    for v in values {
        q = q.bind(v);
    }
    let row = q.fetch_optional(db.writer()).await;
    db.forget_user(id);
    row?.as_ref()
        .map(UserRow::from_row)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

/// Counts a failed login in one atomic `UPDATE … RETURNING`. When the count reaches
/// `max_failures` the account is locked until `now_us + lock_us` and the count restarts.
/// Returns whether the account is locked after this call.
pub async fn record_failed_login(
    db: &Db,
    id: i64,
    now_us: i64,
    max_failures: i64,
    lock_us: i64,
) -> Result<bool> {
    let locked_until: std::result::Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
        "UPDATE users SET \
           failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END, \
           locked_until_us = CASE WHEN failed_logins + 1 >= $2 THEN $3 + $4 \
                                  ELSE locked_until_us END \
         WHERE id = $1 RETURNING locked_until_us",
    )
    .bind(id)
    .bind(max_failures)
    .bind(now_us)
    .bind(lock_us)
    .fetch_optional(db.writer())
    .await;
    db.forget_user(id);
    let locked_until = locked_until?;
    let locked_until = locked_until.ok_or(StoreError::NotFound)?;
    Ok(locked_until > now_us)
}

/// Resets the failed-login count and any lock (after a successful login).
pub async fn clear_failed_logins(db: &Db, id: i64) -> Result<()> {
    update_user(
        db,
        "UPDATE users SET failed_logins = 0, locked_until_us = 0 WHERE id = $1",
        id,
        &[],
    )
    .await
}

/// The user's settings, by name (bytewise).
pub async fn get_settings(db: &Db, user_id: i64) -> Result<Vec<(String, String)>> {
    let sql = format!(
        "SELECT name, value FROM user_settings WHERE user_id = $1 ORDER BY {}",
        db.dialect().order_by_name("name")
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("value")?)))
        .collect()
}

/// Sets one setting (insert or replace). A missing user is [`StoreError::NotFound`].
pub async fn set_setting(db: &Db, user_id: i64, name: &str, value: &str) -> Result<()> {
    let res = sqlx::query(
        "INSERT INTO user_settings (user_id, name, value) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value",
    )
    .bind(user_id)
    .bind(name)
    .bind(value)
    .execute(db.writer())
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(StoreError::NotFound),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Applications

/// A row of `applications`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRow {
    /// The `application_id` clients send.
    pub id: i64,
    pub name: String,
    /// `None`: the application needs no key.
    pub api_key: Option<String>,
    /// `active`, `disabled` or `suspended`.
    pub status: String,
    pub created_us: i64,
}

const APP_COLS: &str = "id, name, api_key, status, created_us";

/// Generated application ids start here (and continue above the largest id in use).
pub const FIRST_GENERATED_APP_ID: i64 = 10000;

impl AppRow {
    fn from_row(r: &AnyRow) -> Result<AppRow> {
        Ok(AppRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            api_key: r.try_get("api_key")?,
            status: r.try_get("status")?,
            created_us: r.try_get("created_us")?,
        })
    }
}

/// Registers an application. `id: None` picks one more than the largest id ≥ 10000 in use
/// (so ids are never reused); a taken explicit id is [`StoreError::Conflict`].
pub async fn create_app(
    db: &Db,
    id: Option<i64>,
    name: &str,
    api_key: Option<String>,
    now_us: i64,
) -> Result<AppRow> {
    if let Some(id) = id {
        let sql = format!(
            "INSERT INTO applications (id, name, api_key, created_us) VALUES ($1, $2, $3, $4) \
             RETURNING {APP_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(name)
            .bind(api_key)
            .bind(now_us)
            .fetch_one(db.writer())
            .await?;
        return AppRow::from_row(&row);
    }
    let sql = format!(
        "INSERT INTO applications (id, name, api_key, created_us) \
         SELECT COALESCE(MAX(id) + 1, $4), $1, $2, $3 FROM applications WHERE id >= $4 \
         RETURNING {APP_COLS}"
    );
    // Two concurrent creations may compute the same id; the loser retries.
    let mut attempts = 0;
    loop {
        let res = sqlx::query(&sql)
            .bind(name)
            .bind(api_key.clone())
            .bind(now_us)
            .bind(FIRST_GENERATED_APP_ID)
            .fetch_one(db.writer())
            .await;
        match res.map_err(StoreError::from) {
            Err(StoreError::Conflict) if attempts < 10 => attempts += 1,
            Err(e) => return Err(e),
            Ok(row) => return AppRow::from_row(&row),
        }
    }
}

/// The application with this id.
pub async fn app_by_id(db: &Db, id: i64) -> Result<Option<AppRow>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(AppRow::from_row).transpose()
}

/// All applications, by id.
pub async fn list_apps(db: &Db) -> Result<Vec<AppRow>> {
    let sql = format!("SELECT {APP_COLS} FROM applications ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(AppRow::from_row).collect()
}

/// Sets the status: `active`, `disabled` or `suspended` (anything else is refused by a CHECK
/// constraint).
pub async fn set_app_status(db: &Db, id: i64, status: &str) -> Result<()> {
    let res = sqlx::query("UPDATE applications SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(db.writer())
        .await?;
    bump_session_epoch(db).await?;
    not_found_unless(res.rows_affected())
}

/// Sets or removes (`None`) the application's API key.
pub async fn set_app_key(db: &Db, id: i64, api_key: Option<String>) -> Result<()> {
    let res = sqlx::query("UPDATE applications SET api_key = $2 WHERE id = $1")
        .bind(id)
        .bind(api_key)
        .execute(db.writer())
        .await?;
    not_found_unless(res.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Session tokens

/// A row of `session_tokens`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// [`token_hash`] of the token.
    pub token_hash: String,
    pub user_id: i64,
    pub app_id: i64,
    /// Token version: 1 (unsigned) or 2 (signed, rotating secret key).
    pub version: i64,
    /// The current v2 secret key.
    pub secret_key: i64,
    /// The v2 `time` string that enters signatures.
    pub time_text: String,
    pub created_us: i64,
    pub expires_us: i64,
    /// While `> now`, a call holds the token (see [`claim_session`]).
    pub claimed_until_us: i64,
}

const SESSION_COLS: &str = "token_hash, user_id, app_id, version, secret_key, time_text, \
     created_us, expires_us, claimed_until_us";

impl SessionRow {
    fn from_row(r: &AnyRow) -> Result<SessionRow> {
        Ok(SessionRow {
            token_hash: r.try_get("token_hash")?,
            user_id: r.try_get("user_id")?,
            app_id: r.try_get("app_id")?,
            version: r.try_get("version")?,
            secret_key: r.try_get("secret_key")?,
            time_text: r.try_get("time_text")?,
            created_us: r.try_get("created_us")?,
            expires_us: r.try_get("expires_us")?,
            claimed_until_us: r.try_get("claimed_until_us")?,
        })
    }
}

/// Stores a new session. A duplicate hash is [`StoreError::Conflict`].
pub async fn insert_session(db: &Db, s: &SessionRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO session_tokens ({SESSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    sqlx::query(&sql)
        .bind(&s.token_hash)
        .bind(s.user_id)
        .bind(s.app_id)
        .bind(s.version)
        .bind(s.secret_key)
        .bind(&s.time_text)
        .bind(s.created_us)
        .bind(s.expires_us)
        .bind(s.claimed_until_us)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The session with this token hash (expired or not: the caller compares `expires_us`).
pub async fn session_by_hash(db: &Db, hash: &str) -> Result<Option<SessionRow>> {
    let sql = format!("SELECT {SESSION_COLS} FROM session_tokens WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(SessionRow::from_row).transpose()
}

/// Claims a session for one call with a single compare-and-swap: succeeds only if the secret
/// key is still `expected_key`, nobody holds the token (`claimed_until_us < now`) and it has
/// not expired. The claim lasts until `lease_until_us` unless released earlier. Works across
/// several server nodes sharing the database.
pub async fn claim_session(
    db: &Db,
    hash: &str,
    expected_key: i64,
    now_us: i64,
    lease_until_us: i64,
) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE session_tokens SET claimed_until_us = $4 \
         WHERE token_hash = $1 AND secret_key = $2 AND claimed_until_us < $3 AND expires_us > $3",
    )
    .bind(hash)
    .bind(expected_key)
    .bind(now_us)
    .bind(lease_until_us)
    .execute(db.writer())
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Releases a claim made with `claimed_key`, optionally rotating the secret key and moving the
/// expiry. Returns false if the key changed meanwhile (nothing updated).
pub async fn release_session(
    db: &Db,
    hash: &str,
    claimed_key: i64,
    new_key: Option<i64>,
    new_expires_us: Option<i64>,
) -> Result<bool> {
    let mut sets = vec!["claimed_until_us = 0".to_owned()];
    let mut args = Vec::new();
    if let Some(k) = new_key {
        args.push(k);
        sets.push(format!("secret_key = ${}", args.len() + 2));
    }
    if let Some(e) = new_expires_us {
        args.push(e);
        sets.push(format!("expires_us = ${}", args.len() + 2));
    }
    let sql = format!(
        "UPDATE session_tokens SET {} WHERE token_hash = $1 AND secret_key = $2",
        sets.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(hash).bind(claimed_key);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.execute(db.writer()).await?.rows_affected() == 1)
}

/// Moves a session's expiry. Returns false if the session does not exist.
pub async fn extend_session(db: &Db, hash: &str, expires_us: i64) -> Result<bool> {
    let res = sqlx::query("UPDATE session_tokens SET expires_us = $2 WHERE token_hash = $1")
        .bind(hash)
        .bind(expires_us)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Deletes one session. Returns whether it existed.
pub async fn delete_session(db: &Db, hash: &str) -> Result<bool> {
    let res = sqlx::query("DELETE FROM session_tokens WHERE token_hash = $1")
        .bind(hash)
        .execute(db.writer())
        .await?;
    bump_session_epoch(db).await?;
    Ok(res.rows_affected() == 1)
}

/// The session epoch: it changes whenever sessions are revoked or an application's status
/// changes (see migrations/*/0002_session_epoch.sql).
pub async fn session_epoch(db: &Db) -> Result<i64> {
    let row = sqlx::query("SELECT epoch FROM session_epoch WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Announces that sessions, applications or users changed, to a server that caches them (the
/// single-process SQLite mode reads the epoch every 25 ms). `hearth admin` calls this after
/// every command; the revoking functions here call it themselves.
pub async fn bump_session_epoch(db: &Db) -> Result<()> {
    sqlx::query("UPDATE session_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Saves the key state of many sessions in one transaction (the write-behind of the
/// in-memory session cache): `(token_hash, secret_key, expires_us)`.
pub async fn save_session_states(db: &Db, states: &[(String, i64, i64)]) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for (hash, key, expires) in states {
        sqlx::query(
            "UPDATE session_tokens SET secret_key = $2, expires_us = $3 WHERE token_hash = $1",
        )
        .bind(hash.as_str())
        .bind(*key)
        .bind(*expires)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes all sessions of a user, except `except_hash` if given, and all their action tokens
/// (an upload token must not outlive a revocation). Returns how many sessions.
pub async fn delete_user_sessions(db: &Db, user_id: i64, except_hash: Option<&str>) -> Result<u64> {
    sqlx::query("DELETE FROM action_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(db.writer())
        .await?;
    let res = match except_hash {
        Some(h) => {
            sqlx::query("DELETE FROM session_tokens WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(h)
                .execute(db.writer())
                .await?
        }
        None => {
            sqlx::query("DELETE FROM session_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(db.writer())
                .await?
        }
    };
    bump_session_epoch(db).await?;
    Ok(res.rows_affected())
}

/// Deletes sessions whose expiry is at or before `now_us`. Returns how many.
pub async fn delete_expired_sessions(db: &Db, now_us: i64) -> Result<u64> {
    let res = sqlx::query("DELETE FROM session_tokens WHERE expires_us <= $1")
        .bind(now_us)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Action tokens

/// A row of `action_tokens`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionTokenRow {
    /// [`token_hash`] of the token.
    pub token_hash: String,
    pub user_id: i64,
    /// `upload` or `image`.
    pub kind: String,
    pub created_us: i64,
    pub expires_us: i64,
}

const ACTION_COLS: &str = "token_hash, user_id, kind, created_us, expires_us";

/// Stores a new action token. A duplicate hash is [`StoreError::Conflict`].
pub async fn insert_action_token(db: &Db, t: &ActionTokenRow) -> Result<()> {
    let sql = format!("INSERT INTO action_tokens ({ACTION_COLS}) VALUES ($1, $2, $3, $4, $5)");
    sqlx::query(&sql)
        .bind(&t.token_hash)
        .bind(t.user_id)
        .bind(&t.kind)
        .bind(t.created_us)
        .bind(t.expires_us)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The action token with this hash (expired or not).
pub async fn action_token_by_hash(db: &Db, hash: &str) -> Result<Option<ActionTokenRow>> {
    let sql = format!("SELECT {ACTION_COLS} FROM action_tokens WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| {
        Ok(ActionTokenRow {
            token_hash: r.try_get("token_hash")?,
            user_id: r.try_get("user_id")?,
            kind: r.try_get("kind")?,
            created_us: r.try_get("created_us")?,
            expires_us: r.try_get("expires_us")?,
        })
    })
    .transpose()
}

/// Deletes an action token. Returns whether it existed.
pub async fn delete_action_token(db: &Db, hash: &str) -> Result<bool> {
    let res = sqlx::query("DELETE FROM action_tokens WHERE token_hash = $1")
        .bind(hash)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Deletes action tokens whose expiry is at or before `now_us`. Returns how many.
pub async fn delete_expired_action_tokens(db: &Db, now_us: i64) -> Result<u64> {
    let res = sqlx::query("DELETE FROM action_tokens WHERE expires_us <= $1")
        .bind(now_us)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected())
}
