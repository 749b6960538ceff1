//! Who may fetch a file's bytes without a session: the rules behind `/download/…` links.
//!
//! A public, live, password-less file is open to anyone. Otherwise a request needs one of:
//! a signed link issued to the owner by `file/get_links` (HMAC-SHA256 with the per-server
//! secret over quickkey, content hash and expiry: any state, works until it expires or the
//! content changes), the download password of a public live file, or a usable one-time key of
//! a live file (expiry, uses left, revoked, `bind_ip`). Everything else is refused alike, so a
//! refusal never tells whether the key exists.

use std::net::IpAddr;

use hearth_api::errors::ApiError;
use hearth_store::tree::{self, FileRow};
use hearth_store::{downloads, links};
use rand::RngCore;
use sha2::Sha256;

use crate::links::bind_ip_matches;
use crate::tree::LIVE;
use crate::{internal, now_us, Core};

/// Signed links live at least this long (seconds) …
pub const SIGNED_LINK_LIFETIME_SECS: i64 = 24 * 3600;
/// … and their expiry is rounded up to this step, so links issued within one step are equal.
const EXPIRY_STEP_SECS: i64 = 3600;

/// The credentials a download request carries (query parameters), and who asks.
#[derive(Clone, Debug, Default)]
pub struct DownloadRequest<'a> {
    pub quickkey: &'a str,
    /// `expires` and `sig` of a signed link.
    pub expires: Option<&'a str>,
    pub sig: Option<&'a str>,
    pub password: Option<&'a str>,
    /// A one-time key token.
    pub otk: Option<&'a str>,
    /// The client's address (for `bind_ip`).
    pub client: Option<IpAddr>,
}

/// A granted download: the file, and the one-time key to spend when bytes are sent.
#[derive(Clone, Debug)]
pub struct Grant {
    pub file: FileRow,
    pub one_time_key: Option<i64>,
}

/// Whether anyone may download the file without credentials.
pub fn open_to_all(f: &FileRow) -> bool {
    f.privacy == "public" && f.trash_state == LIVE && f.password_hash.is_empty()
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

fn link_mac(secret: &[u8], quickkey: &str, hash: &str, expires: i64) -> String {
    hex::encode(hmac_sha256(
        secret,
        format!("{quickkey}\n{hash}\n{expires}").as_bytes(),
    ))
}

/// Constant-time equality of two byte strings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Core {
    /// The per-server link secret (created on first use, shared through the database; read
    /// once per process).
    async fn link_secret(&self) -> Result<&[u8], ApiError> {
        let secret = self
            .inner
            .link_secret
            .get_or_try_init(|| self.load_link_secret())
            .await?;
        Ok(secret)
    }

    async fn load_link_secret(&self) -> Result<Vec<u8>, ApiError> {
        let mut candidate = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut candidate);
        let mut c = self.db().acquire().await.map_err(internal)?;
        let stored = downloads::stored_server_secret(&mut c)
            .await
            .map_err(internal)?;
        drop(c);
        let hex = match stored {
            Some(hex) => hex,
            None => {
                let mut w = self.db().acquire_writer().await.map_err(internal)?;
                downloads::server_secret(&mut w, &hex::encode(candidate))
                    .await
                    .map_err(internal)?
            }
        };
        hex::decode(hex).map_err(internal)
    }

    /// The query (`expires=…&sig=…`) of a signed link to the file, valid for at least
    /// [`SIGNED_LINK_LIFETIME_SECS`]. Only for the file's owner.
    pub async fn signed_download_query(&self, f: &FileRow) -> Result<String, ApiError> {
        let now = now_us() / 1_000_000;
        let expires = ((now + SIGNED_LINK_LIFETIME_SECS) / EXPIRY_STEP_SECS + 1) * EXPIRY_STEP_SECS;
        self.signed_download_query_until(f, expires).await
    }

    /// The query of a link signed to expire at `expires` (Unix seconds).
    pub async fn signed_download_query_until(
        &self,
        f: &FileRow,
        expires: i64,
    ) -> Result<String, ApiError> {
        let secret = self.link_secret().await?;
        let sig = link_mac(secret, &f.quickkey, &f.hash, expires);
        Ok(format!("expires={expires}&sig={sig}"))
    }

    /// The file a download request may fetch, or `None` (unknown key, or no valid credential:
    /// the same answer). The one-time key is only checked here; spend it with
    /// [`Core::spend_one_time_key`] when bytes are sent.
    pub async fn download_grant(&self, r: &DownloadRequest<'_>) -> Result<Option<Grant>, ApiError> {
        let file = {
            let mut c = self.db().acquire().await.map_err(internal)?;
            tree::file_by_key(&mut c, r.quickkey)
                .await
                .map_err(internal)?
        };
        let Some(file) = file else {
            return Ok(None);
        };
        let now = now_us();
        if let Some(token) = r.otk.filter(|t| !t.is_empty()) {
            if let Some(k) = self.one_time_key(token).await? {
                let usable = k.file_id == file.id
                    && file.trash_state == LIVE
                    && !k.revoked
                    && k.expires_us > now
                    && k.uses_left != 0
                    && (k.bind_ip.is_empty()
                        || r.client.is_some_and(|ip| bind_ip_matches(&k.bind_ip, ip)));
                if usable {
                    return Ok(Some(Grant {
                        file,
                        one_time_key: Some(k.id),
                    }));
                }
            }
        }
        let grant = Some(Grant {
            file: file.clone(),
            one_time_key: None,
        });
        if open_to_all(&file) {
            return Ok(grant);
        }
        if let (Some(expires), Some(sig)) = (r.expires, r.sig) {
            if let Ok(exp) = expires.parse::<i64>() {
                if exp > now / 1_000_000 {
                    let secret = self.link_secret().await?;
                    let want = link_mac(secret, &file.quickkey, &file.hash, exp);
                    if same(want.as_bytes(), sig.to_ascii_lowercase().as_bytes()) {
                        return Ok(grant);
                    }
                }
            }
        }
        if let Some(pw) = r.password.filter(|p| !p.is_empty()) {
            if file.privacy == "public"
                && file.trash_state == LIVE
                && !file.password_hash.is_empty()
                && self.verify_password(pw, &file.password_hash).await
            {
                return Ok(grant);
            }
        }
        Ok(None)
    }

    /// Spends one use of a one-time key; `false` if it became unusable meanwhile.
    pub async fn spend_one_time_key(&self, key_id: i64) -> Result<bool, ApiError> {
        let mut c = self.db().acquire_writer().await.map_err(internal)?;
        links::take_one_time_use(&mut c, key_id, now_us())
            .await
            .map_err(internal)
    }

    /// Opens the file's current content for reading (and seeking).
    pub async fn open_content(&self, f: &FileRow) -> Result<tokio::fs::File, ApiError> {
        let id = hearth_store::blob::BlobId::parse(&f.hash).map_err(internal)?;
        self.blobs().open(&id).await.map_err(internal)
    }

    /// Counts a completed download of the file (not a tree change).
    pub async fn count_download(&self, file_id: i64) -> Result<(), ApiError> {
        let mut c = self.db().acquire_writer().await.map_err(internal)?;
        downloads::count_download(&mut c, file_id)
            .await
            .map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = super::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn long_keys_are_hashed_first() {
        // RFC 4231 test case 6: a 131-byte key.
        let key = [0xaau8; 131];
        let mac = super::hmac_sha256(
            &key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
