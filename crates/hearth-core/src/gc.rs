//! The delayed garbage collector of stored content, and the consistency check behind
//! `hearth admin fsck`.
//!
//! Why it cannot race an upload (docs/api-quirks.md, "Content store"):
//! - content is collected only after `gc_grace` without references, in one transaction per
//!   content that deletes its row only if still unreferenced and removes the blob before
//!   committing;
//! - every transaction that adds a reference to content that may be unreferenced (a new file,
//!   new content for a file: uploads, instant uploads, file/create) checks the blob exists
//!   before committing ([`Core::ensure_blob`]); transactions on the row are serialized, so
//!   either the collector saw the reference and kept everything, or the reference saw the
//!   blob gone and failed;
//! - an upload renames its finished blob into place, even over an identical one, which gives
//!   it a fresh modification time; the collector moves a blob aside before removing it and
//!   puts back one written within the grace period, so bytes an upload has just written but
//!   not yet referenced are never removed.

use std::collections::HashSet;
use std::time::SystemTime;

use hearth_api::errors::{codes, ApiError};
use hearth_store::blob::{BlobId, Removal};
use hearth_store::gc as store;

use crate::{internal, now_us, Core};

/// Contents examined per collector round.
const BATCH: i64 = 500;

/// What one collector round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    pub removed: u64,
    /// Rows whose blob was already gone (removed anyway).
    pub missing: u64,
    /// Blobs written again since (an upload is about to reference them): kept.
    pub kept_fresh: u64,
}

/// What fsck found. `problems()` is empty for a consistent store.
#[derive(Clone, Debug, Default)]
pub struct FsckReport {
    pub contents: u64,
    pub files_checked: u64,
    pub blobs: u64,
    /// Content rows whose count differs from the references found: (hash, refs, found).
    pub wrong_counts: Vec<(String, i64, i64)>,
    /// Referenced content without its blob, or with a blob of another size.
    pub missing_blobs: Vec<String>,
    pub wrong_sizes: Vec<String>,
    /// Content whose bytes do not hash to its name (only with `verify_hashes`).
    pub corrupt: Vec<String>,
    /// Blobs no row knows (harmless: bytes of an upload that never committed).
    pub orphan_blobs: u64,
    /// Rows waiting for the collector (unreferenced, within the grace period or not yet run).
    pub unreferenced: u64,
    pub repaired: u64,
}

impl FsckReport {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        for (h, refs, found) in &self.wrong_counts {
            p.push(format!(
                "content {h}: count {refs}, references found {found}"
            ));
        }
        for h in &self.missing_blobs {
            p.push(format!("content {h}: referenced, but its blob is missing"));
        }
        for h in &self.wrong_sizes {
            p.push(format!(
                "content {h}: blob size differs from the recorded size"
            ));
        }
        for h in &self.corrupt {
            p.push(format!("content {h}: bytes do not match the SHA-256"));
        }
        p
    }
}

impl Core {
    /// Removes content unreferenced for longer than `gc_grace` (one round, at most `BATCH`).
    pub async fn collect_garbage(&self) -> anyhow::Result<GcReport> {
        let grace = self.settings().gc_grace;
        let cutoff_us = now_us().saturating_sub(grace.as_micros() as i64);
        let fresh_after = SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut report = GcReport::default();
        for hash in store::unreferenced_before(self.db(), cutoff_us, BATCH).await? {
            let Ok(id) = BlobId::parse(&hash) else {
                continue;
            };
            let mut tx = self.db().begin_write().await?;
            if !store::delete_unreferenced(&mut tx, &hash, cutoff_us).await? {
                continue;
            }
            match self
                .blob_store()
                .remove_unless_fresh(&id, fresh_after)
                .await?
            {
                Removal::Removed => report.removed += 1,
                Removal::Missing => report.missing += 1,
                Removal::Fresh => {
                    // Dropping the transaction keeps the row: an upload is about to use it.
                    report.kept_fresh += 1;
                    continue;
                }
            }
            tx.commit().await?;
        }
        if report != GcReport::default() {
            tracing::info!(?report, "garbage collection");
        }
        Ok(report)
    }

    /// Call inside a transaction that has just added a reference to `hash`, before it commits:
    /// fails (and so rolls the transaction back) when the blob is gone, i.e. the collector
    /// removed it before this reference could count.
    pub(crate) async fn ensure_blob(&self, hash: &str) -> Result<(), ApiError> {
        let id = BlobId::parse(hash).map_err(internal)?;
        if self.blob_store().exists(&id).await.map_err(internal)? {
            Ok(())
        } else {
            Err(ApiError::with_message(
                codes::INTERNAL,
                "The file's content is no longer stored; upload it again.".into(),
            ))
        }
    }

    /// Checks that every reference has its bytes and every count is right; `repair` fixes
    /// the counts (the collector then removes what nothing uses).
    pub async fn fsck(&self, verify_hashes: bool, repair: bool) -> anyhow::Result<FsckReport> {
        let mut r = FsckReport::default();
        let checks = store::content_checks(self.db()).await?;
        let blobs: std::collections::HashMap<BlobId, u64> =
            self.blob_store().list().await?.into_iter().collect();
        r.blobs = blobs.len() as u64;
        let mut known = HashSet::new();
        for c in &checks {
            let id = BlobId::parse(&c.hash).ok();
            if let Some(id) = id {
                known.insert(id);
            }
            if c.refs >= 0 {
                r.contents += 1;
            }
            r.files_checked += c.counted as u64;
            if c.refs != c.counted {
                r.wrong_counts.push((c.hash.clone(), c.refs, c.counted));
                if repair && c.refs >= 0 {
                    store::set_refs(self.db(), &c.hash, c.counted).await?;
                    r.repaired += 1;
                }
            }
            if c.counted == 0 {
                r.unreferenced += 1;
                continue;
            }
            match id.and_then(|id| blobs.get(&id).map(|len| (id, *len))) {
                None => r.missing_blobs.push(c.hash.clone()),
                Some((_, len)) if len as i64 != c.size => r.wrong_sizes.push(c.hash.clone()),
                Some((id, _)) if verify_hashes => {
                    if !self.blob_hashes_to(&id).await? {
                        r.corrupt.push(c.hash.clone());
                    }
                }
                Some(_) => {}
            }
        }
        r.orphan_blobs = blobs.keys().filter(|id| !known.contains(*id)).count() as u64;
        Ok(r)
    }

    async fn blob_hashes_to(&self, id: &BlobId) -> anyhow::Result<bool> {
        use sha2::Digest;
        use tokio::io::AsyncReadExt;
        let mut f = self.blob_store().open(id).await?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(<[u8; 32]>::from(hasher.finalize()) == id.0)
    }
}
