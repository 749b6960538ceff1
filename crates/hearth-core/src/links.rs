//! Links around files and folders that are not the tree itself: one-time download keys
//! (`file/one_time_key`, `file/configure_one_time_key`), FileDrops (`folder/configure_filedrop`)
//! and avatars set from a stored image (`user/set_avatar quick_key=`).
//!
//! These rules store what the data path uses (for a one-time key: file, token hash, expiry,
//! uses left, revoked, bound addresses; for a FileDrop: its folder, key and settings); the
//! downloads (hearth-server download.rs, pages.rs) and FileDrop uploads (uploads/filedrop.rs)
//! serve them.

use std::collections::HashSet;
use std::net::IpAddr;

use hearth_api::errors::{codes, ApiError};
use hearth_store::accounts::token_hash;
use hearth_store::links::{self, FiledropRow, FiledropSettings, OneTimeKeyRow, OneTimeKeySettings};
use hearth_store::tree::{self, FileRow, FolderRow};
use rand::Rng;

use crate::sessions::Caller;
use crate::tree::{NewRevision, Target, LIVE};
use crate::{internal, now_us, Core};

/// Keys a user may request in 24 hours (`user/get_info` `one_time_key_request_max_count`).
pub const ONE_TIME_KEY_DAILY_MAX: i64 = 100;
/// Lifetime of an unused one-time key when `duration` is not given: 30 days, in minutes.
pub const DEFAULT_DURATION_MINUTES: i64 = 43_200;
/// The longest `duration` accepted: ten years, in minutes.
pub const MAX_DURATION_MINUTES: i64 = 10 * 365 * 24 * 60;
/// Length of a one-time token (the documented example has 31 characters `[a-z0-9]`).
pub const ONE_TIME_TOKEN_LEN: usize = 31;
/// Most entries of a `bind_ip` list.
pub const MAX_BIND_IP_ENTRIES: usize = 50;
/// Longest FileDrop `message`, in characters.
pub const MAX_FILEDROP_MESSAGE: usize = 90;
/// Longest callback URL, in bytes.
const MAX_URL_LEN: usize = 2048;
const DAY_US: i64 = 86_400_000_000;
const MINUTE_US: i64 = 60_000_000;

fn db_err(e: hearth_store::StoreError) -> ApiError {
    internal(e)
}

/// The options of `file/one_time_key` and `file/configure_one_time_key`, parsed from the wire;
/// `None` = not given.
#[derive(Clone, Debug, Default)]
pub struct OneTimeOptions<'a> {
    /// Minutes the key lives (from now).
    pub duration_minutes: Option<i64>,
    pub email_notification: Option<bool>,
    /// An empty value clears the URL.
    pub success_callback_url: Option<&'a str>,
    pub error_callback_url: Option<&'a str>,
    /// An empty value removes the address binding.
    pub bind_ip: Option<&'a str>,
    pub burn_after_use: Option<bool>,
}

/// The daily allowance: keys requested in the last 24 hours, and the most allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneTimeCounts {
    pub count: i64,
    pub max: i64,
}

/// A new one-time key: the token (shown once; only its hash is stored) and its file.
pub struct IssuedOneTimeKey {
    pub token: String,
    pub file: FileRow,
    pub key: OneTimeKeyRow,
    pub counts: OneTimeCounts,
}

/// What `folder/configure_filedrop action=enable` may set; `None` keeps the current value (or
/// the default for a new FileDrop).
#[derive(Clone, Debug, Default)]
pub struct FiledropOptions<'a> {
    pub allow_description: Option<bool>,
    pub allow_multiple_uploads: Option<bool>,
    /// `480` or `full`.
    pub embed_size: Option<&'a str>,
    pub message: Option<&'a str>,
    pub notification_emails: Option<bool>,
}

/// `folder/configure_filedrop`'s `action`.
#[derive(Clone, Debug)]
pub enum FiledropAction<'a> {
    Enable(FiledropOptions<'a>),
    Disable,
}

/// A random one-time token: [`ONE_TIME_TOKEN_LEN`] characters `[a-z0-9]` (~160 bits).
fn new_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..ONE_TIME_TOKEN_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A random FileDrop key: 64 lowercase hex digits (256 bits).
fn new_filedrop_key() -> String {
    hearth_api::keys::random_token(64)
}

/// A duration in minutes: 1 to [`MAX_DURATION_MINUTES`] (0 only where `allow_zero`), else 129.
fn check_duration(minutes: i64, allow_zero: bool) -> Result<i64, ApiError> {
    if (minutes == 0 && allow_zero) || (1..=MAX_DURATION_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ApiError::new(codes::INVALID_PARAMS))
    }
}

/// A callback URL: empty (none), or an absolute `http`/`https` URL with a host and no white
/// space or control characters; else 174.
pub fn check_callback_url(url: &str) -> Result<&str, ApiError> {
    if url.is_empty() {
        return Ok(url);
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let ok = url.len() <= MAX_URL_LEN
        && rest.is_some_and(|r| {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.starts_with(':')
        })
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(url)
    } else {
        Err(ApiError::new(codes::INVALID_URL))
    }
}

/// Normalises a `bind_ip` list: comma-separated addresses (`78.192.10.10`), CIDR masks
/// (`68.154.11.0/8`) and ranges (`145.230.230.115-145.230.240.33`), IPv4 or IPv6, spaces
/// allowed around items; at most [`MAX_BIND_IP_ENTRIES`]. The result joins the items with `,`
/// (empty = any address). Anything malformed is 129.
pub fn normalize_bind_ip(raw: &str) -> Result<String, ApiError> {
    let bad = || ApiError::new(codes::INVALID_PARAMS);
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let norm = if let Some((ip, bits)) = item.split_once('/') {
            let ip: IpAddr = ip.trim().parse().map_err(|_| bad())?;
            let bits: u8 = bits.trim().parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if bits > max {
                return Err(bad());
            }
            format!("{ip}/{bits}")
        } else if let Some((a, b)) = item.split_once('-') {
            let a: IpAddr = a.trim().parse().map_err(|_| bad())?;
            let b: IpAddr = b.trim().parse().map_err(|_| bad())?;
            if a.is_ipv4() != b.is_ipv4() || a > b {
                return Err(bad());
            }
            format!("{a}-{b}")
        } else {
            let ip: IpAddr = item.parse().map_err(|_| bad())?;
            ip.to_string()
        };
        out.push(norm);
    }
    if out.len() > MAX_BIND_IP_ENTRIES {
        return Err(bad());
    }
    Ok(out.join(","))
}

/// Whether `addr` matches a normalised `bind_ip` list (empty matches every address). For the
/// download path.
pub fn bind_ip_matches(list: &str, addr: IpAddr) -> bool {
    if list.is_empty() {
        return true;
    }
    let to_u128 = |ip: IpAddr| match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    };
    let addr = match addr {
        IpAddr::V6(v) => v.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    list.split(',').any(|item| {
        if let Some((ip, bits)) = item.split_once('/') {
            let (Ok(ip), Ok(bits)) = (ip.parse::<IpAddr>(), bits.parse::<u32>()) else {
                return false;
            };
            if ip.is_ipv4() != addr.is_ipv4() {
                return false;
            }
            let width = if ip.is_ipv4() { 32 } else { 128 };
            let shift = width - bits;
            let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
            (to_u128(ip) & mask) == (to_u128(addr) & mask)
        } else if let Some((a, b)) = item.split_once('-') {
            let (Ok(a), Ok(b)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) else {
                return false;
            };
            a.is_ipv4() == addr.is_ipv4() && (to_u128(a)..=to_u128(b)).contains(&to_u128(addr))
        } else {
            item.parse::<IpAddr>().is_ok_and(|ip| ip == addr)
        }
    })
}

/// Uses a key allows: one when `burn_after_use` applies (it needs `bind_ip`, as documented),
/// else any number until it expires; a burnt key stays burnt.
fn uses_for(burn_after_use: bool, bind_ip: &str, current: Option<i64>) -> i64 {
    match current {
        Some(0) => 0,
        _ if burn_after_use && !bind_ip.is_empty() => 1,
        _ => -1,
    }
}

impl Core {
    async fn one_time_counts_in(
        &self,
        conn: &mut hearth_store::Conn,
        user_id: i64,
    ) -> Result<OneTimeCounts, ApiError> {
        let count = links::count_one_time_keys_since(conn, user_id, now_us() - DAY_US)
            .await
            .map_err(db_err)?;
        Ok(OneTimeCounts {
            count,
            max: ONE_TIME_KEY_DAILY_MAX,
        })
    }

    /// The caller's one-time key allowance (`get_counts_only=yes`).
    pub async fn one_time_key_counts(&self, caller: &Caller) -> Result<OneTimeCounts, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        self.one_time_counts_in(&mut c, caller.user_id).await
    }

    /// `file/one_time_key`: a new one-time download key for a live file the caller owns
    /// (someone else's public file 114, anything else not owned 110, in the trash 211). The
    /// 24-hour allowance exhausted is 163.
    pub async fn create_one_time_key(
        &self,
        caller: &Caller,
        key: Option<&str>,
        o: &OneTimeOptions<'_>,
    ) -> Result<IssuedOneTimeKey, ApiError> {
        let file = self.file_for_write(caller, key, None).await?;
        if file.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let minutes = check_duration(
            o.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES),
            false,
        )?;
        let bind_ip = normalize_bind_ip(o.bind_ip.unwrap_or(""))?;
        let success = check_callback_url(o.success_callback_url.unwrap_or(""))?;
        let error = check_callback_url(o.error_callback_url.unwrap_or(""))?;
        let burn = o.burn_after_use.unwrap_or(true);
        let token = new_token();
        let now = now_us();
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        links::prune_one_time_keys(&mut tx, caller.user_id, now - DAY_US)
            .await
            .map_err(db_err)?;
        let mut counts = self.one_time_counts_in(&mut tx, caller.user_id).await?;
        if counts.count >= counts.max {
            return Err(ApiError::new(codes::ACCESS_LIMIT_REACHED));
        }
        let row = links::insert_one_time_key(
            &mut tx,
            caller.user_id,
            file.id,
            &token_hash(&token),
            now,
            &OneTimeKeySettings {
                expires_us: now + minutes * MINUTE_US,
                uses_left: uses_for(burn, &bind_ip, None),
                revoked: false,
                burn_after_use: burn,
                bind_ip: &bind_ip,
                email_notification: o.email_notification.unwrap_or(false),
                success_callback_url: success,
                error_callback_url: error,
            },
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        counts.count += 1;
        Ok(IssuedOneTimeKey {
            token,
            file,
            key: row,
            counts,
        })
    }

    /// The caller's usable-or-not one-time key named by `token`; another user's, a revoked
    /// one and a token never issued are all 129 alike.
    async fn own_one_time_key(
        &self,
        conn: &mut hearth_store::Conn,
        caller: &Caller,
        token: &str,
    ) -> Result<OneTimeKeyRow, ApiError> {
        links::one_time_key_by_hash(conn, &token_hash(token.trim()))
            .await
            .map_err(db_err)?
            .filter(|k| k.user_id == caller.user_id && !k.revoked)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))
    }

    /// `file/configure_one_time_key`: changes a key's settings. Options not given keep their
    /// values, except `duration`, which (1.5) defaults to 30 days from now; `duration=0`
    /// disables the key for good. Answers the allowance and the (unchanged) device revision:
    /// a one-time key is not part of the tree.
    pub async fn configure_one_time_key(
        &self,
        caller: &Caller,
        token: &str,
        o: &OneTimeOptions<'_>,
    ) -> Result<(OneTimeCounts, NewRevision), ApiError> {
        let minutes = check_duration(o.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES), true)?;
        let bind_ip = o.bind_ip.map(normalize_bind_ip).transpose()?;
        let success = o.success_callback_url.map(check_callback_url).transpose()?;
        let error = o.error_callback_url.map(check_callback_url).transpose()?;
        let now = now_us();
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let k = self.own_one_time_key(&mut tx, caller, token).await?;
        let bind_ip = bind_ip.unwrap_or_else(|| k.bind_ip.clone());
        let burn = o.burn_after_use.unwrap_or(k.burn_after_use);
        let revoked = minutes == 0;
        links::update_one_time_key(
            &mut tx,
            k.id,
            &OneTimeKeySettings {
                expires_us: if revoked {
                    now
                } else {
                    now + minutes * MINUTE_US
                },
                uses_left: if revoked {
                    0
                } else {
                    uses_for(burn, &bind_ip, Some(k.uses_left))
                },
                revoked,
                burn_after_use: burn,
                bind_ip: &bind_ip,
                email_notification: o.email_notification.unwrap_or(k.email_notification),
                success_callback_url: success.unwrap_or(&k.success_callback_url),
                error_callback_url: error.unwrap_or(&k.error_callback_url),
            },
        )
        .await
        .map_err(db_err)?;
        let counts = self.one_time_counts_in(&mut tx, caller.user_id).await?;
        tx.commit().await.map_err(internal)?;
        Ok((counts, self.device_revision(caller.user_id).await?))
    }

    /// The one-time key behind `token` as stored (any owner, any state), for the download path
    /// and tests.
    pub async fn one_time_key(&self, token: &str) -> Result<Option<OneTimeKeyRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        links::one_time_key_by_hash(&mut c, &token_hash(token))
            .await
            .map_err(db_err)
    }

    /// `folder/configure_filedrop`: turns a live folder the caller owns into a FileDrop (or
    /// changes its settings; its key stays), or turns it off (the key dies with it). A change
    /// stamps the folder with a new device revision (its `dropbox_enabled` changed); disabling
    /// a folder that is no FileDrop changes nothing and answers no revision. Returns the folder,
    /// its FileDrop after the change, and the new revision.
    pub async fn configure_filedrop(
        &self,
        caller: &Caller,
        target: Target<'_>,
        action: &FiledropAction<'_>,
    ) -> Result<(FolderRow, Option<FiledropRow>, Option<NewRevision>), ApiError> {
        let folder = self.live_folder_for_write(caller, target).await?;
        if let FiledropAction::Enable(o) = action {
            if o.embed_size.is_some_and(|e| e != "480" && e != "full") {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
            if o.message.is_some_and(|m| {
                m.chars().count() > MAX_FILEDROP_MESSAGE || m.chars().any(char::is_control)
            }) {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let existing = links::filedrop_by_folder(&mut tx, folder.id)
            .await
            .map_err(db_err)?;
        let row = match action {
            FiledropAction::Disable => {
                if existing.is_none() {
                    return Ok((folder, None, None));
                }
                links::delete_filedrop(&mut tx, folder.id)
                    .await
                    .map_err(db_err)?;
                None
            }
            FiledropAction::Enable(o) => {
                let e = existing.as_ref();
                let key = e.map_or_else(new_filedrop_key, |e| e.filedrop_key.clone());
                let settings = FiledropSettings {
                    allow_description: o
                        .allow_description
                        .unwrap_or(e.is_some_and(|e| e.allow_description)),
                    allow_multiple_uploads: o
                        .allow_multiple_uploads
                        .unwrap_or(e.is_some_and(|e| e.allow_multiple_uploads)),
                    embed_size: o
                        .embed_size
                        .unwrap_or(e.map_or("480", |e| e.embed_size.as_str())),
                    message: o.message.unwrap_or(e.map_or("", |e| e.message.as_str())),
                    notification_emails: o
                        .notification_emails
                        .unwrap_or(e.is_none_or(|e| e.notification_emails)),
                };
                Some(
                    links::upsert_filedrop(
                        &mut tx,
                        caller.user_id,
                        folder.id,
                        &key,
                        now_us(),
                        &settings,
                    )
                    .await
                    .map_err(db_err)?,
                )
            }
        };
        let rev = tree::next_revision(&mut tx, caller.user_id)
            .await
            .map_err(db_err)?;
        tree::update_folder(&mut tx, folder.id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok((folder, row, Some(rev)))
    }

    /// Whether the folder is a FileDrop (`dropbox_enabled`).
    pub async fn filedrop_enabled(&self, folder_id: i64) -> Result<bool, ApiError> {
        Ok(!self.filedrop_folders(&[folder_id]).await?.is_empty())
    }

    /// Which of `folder_ids` are FileDrops (one query for a listing page).
    pub async fn filedrop_folders(&self, folder_ids: &[i64]) -> Result<HashSet<i64>, ApiError> {
        if folder_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut c = self.db().acquire().await.map_err(db_err)?;
        Ok(links::filedrop_folders(&mut c, folder_ids)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect())
    }

    /// The FileDrop behind an uploader's `filedrop_key` (for the upload path): `None` for an
    /// unknown key.
    pub async fn filedrop_by_key(&self, key: &str) -> Result<Option<FiledropRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        links::filedrop_by_key(&mut c, key).await.map_err(db_err)
    }

    /// `user/set_avatar quick_key=…`: the avatar becomes the image file `key`, which the caller
    /// must be able to read (anything else 110; their own file in the trash 211) and which
    /// `is_image` accepts (else 142). The file is referred to, not copied; `shown` is what
    /// `user/get_avatar` answers until avatars from files are served.
    pub async fn set_avatar_from_file(
        &self,
        caller: &Caller,
        key: &str,
        is_image: impl Fn(&FileRow) -> bool,
        shown: &str,
    ) -> Result<FileRow, ApiError> {
        let v = self.file_for_read(Some(caller), Some(key), None).await?;
        if v.row.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        if !is_image(&v.row) {
            return Err(ApiError::new(codes::INVALID_FILE_TYPE));
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        links::set_avatar_file(&mut tx, caller.user_id, &v.row.quickkey, now_us())
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        self.set_avatar(caller.user_id, shown).await?;
        Ok(v.row)
    }

    /// `user/set_avatar action=…`: the avatar becomes `value` (empty = none) and no longer
    /// refers to a stored image.
    pub async fn set_avatar_plain(&self, user_id: i64, value: &str) -> Result<(), ApiError> {
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        links::clear_avatar_file(&mut tx, user_id)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        self.set_avatar(user_id, value).await
    }

    /// The quickkey the user's avatar was set from, if any.
    pub async fn avatar_file(&self, user_id: i64) -> Result<Option<String>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        links::avatar_file(&mut c, user_id).await.map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_the_documented_example() {
        let t = new_token();
        assert_eq!(t.len(), 31);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(new_token(), t);
        let k = new_filedrop_key();
        assert_eq!(k.len(), 64);
        assert!(k
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn bind_ip_lists_normalise_and_match() {
        let l = normalize_bind_ip("68.154.11.0/8, 145.230.230.115-145.230.240.33, 78.192.10.10")
            .unwrap();
        assert_eq!(
            l,
            "68.154.11.0/8,145.230.230.115-145.230.240.33,78.192.10.10"
        );
        assert!(bind_ip_matches(&l, "68.1.2.3".parse().unwrap()));
        assert!(!bind_ip_matches(&l, "69.1.2.3".parse().unwrap()));
        assert!(bind_ip_matches(&l, "145.230.235.1".parse().unwrap()));
        assert!(!bind_ip_matches(&l, "145.230.240.34".parse().unwrap()));
        assert!(bind_ip_matches(&l, "78.192.10.10".parse().unwrap()));
        assert!(bind_ip_matches(&l, "::ffff:78.192.10.10".parse().unwrap()));
        assert!(bind_ip_matches("", "1.2.3.4".parse().unwrap()));
        assert!(bind_ip_matches("::1", "::1".parse().unwrap()));
        assert!(bind_ip_matches("0.0.0.0/0", "9.9.9.9".parse().unwrap()));
        for bad in ["1.2.3", "1.2.3.4/33", "2.2.2.2-1.1.1.1", "1.1.1.1-::1", "x"] {
            assert!(normalize_bind_ip(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_bind_ip(" , ").unwrap(), "");
    }

    #[test]
    fn callback_urls() {
        assert!(check_callback_url("https://example.com/cb?x=1").is_ok());
        assert!(check_callback_url("").is_ok());
        for bad in [
            "ftp://x",
            "http://",
            "https:///x",
            "http://a b",
            "example.com",
        ] {
            assert!(check_callback_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn burning_needs_bind_ip() {
        assert_eq!(uses_for(true, "", None), -1);
        assert_eq!(uses_for(true, "1.2.3.4", None), 1);
        assert_eq!(uses_for(false, "1.2.3.4", None), -1);
        assert_eq!(uses_for(false, "", Some(0)), 0);
    }
}
