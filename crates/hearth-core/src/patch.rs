//! `upload/patch`: a new revision of the caller's file built from a VCDIFF delta (what
//! `xdelta3 -e -s OLD NEW` writes) against the file's current content.
//!
//! The order of things: the parameters are checked (129), then the file (110/114 like
//! upload/update, trash 211) and the declared sizes (`doupload.result` -700 over
//! `patch_max_target` or `max_upload_size`); a `source_hash` that is not the current head ends
//! the key at once with fileerror 16 (revision conflict) without reading the body; identical
//! content is 238 and going over quota 162, as for upload/update. The delta is then spooled to
//! an unnamed temp file (at most `patch_max_target` bytes, else fileerror 1; `X-Filesize`
//! must match, else -51) and decoded in a blocking task ([`crate::vcdiff`]) against the
//! source blob; target windows stream into the blob store while SHA-256 is computed. A delta
//! that does not decode is fileerror 17; a target of the wrong size or hash is fileerror 7 —
//! and in every failure nothing is stored and no revision appears. A success replaces the
//! content exactly as upload/update does ([`Core::replace_content`]: the old head becomes an
//! earlier version) and the key polls as 99 with the quickkey.

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::UploadKey;
use hearth_store::blob::BlobId;
use hearth_store::tree::{self as store_tree, FileRow};
use hearth_store::uploads::UploadRow;
use hearth_store::StoreError;

use crate::sessions::Caller;
use crate::uploads::{fileerror, refusal, ByteSource, FillFromFile, SimpleOutcome, STATUS_DONE};
use crate::vcdiff::{self, FileAt};
use crate::{internal, now_us, Core};

/// The largest target window a delta may use (xdelta3's own maximum, `-W 16777216`).
const MAX_WINDOW: u64 = 16 * 1024 * 1024;
/// The largest LZMA dictionary of a secondary-compressed section (xz's `-9`).
const MAX_DICT: u32 = 64 * 1024 * 1024;

/// `upload/patch` input, raw as received.
pub struct PatchRequest<'a> {
    pub quick_key: &'a str,
    /// SHA-256 of the content the delta applies to: must be the file's current head.
    pub source_hash: &'a str,
    /// SHA-256 and length of the content the delta builds.
    pub target_hash: &'a str,
    pub target_size: &'a str,
    /// `X-Filesize`: the delta's length.
    pub declared_size: Option<&'a str>,
}

/// The spooled delta, or why there is none.
enum Spooled {
    Ready(std::fs::File),
    /// A `doupload.result` refusal.
    Refused(i64),
    /// Longer than `patch_max_target`.
    TooLarge,
}

fn hash_param(v: &str) -> Result<[u8; 32], ApiError> {
    let v = v.trim();
    match BlobId::parse(v) {
        Ok(id) if v.len() == 64 => Ok(id.0),
        _ => Err(ApiError::new(codes::INVALID_PARAMS)),
    }
}

impl Core {
    /// `upload/patch` (see the module documentation).
    pub async fn upload_patch<S: ByteSource>(
        &self,
        caller: &Caller,
        req: PatchRequest<'_>,
        body: &mut S,
    ) -> Result<SimpleOutcome, ApiError> {
        let source_hash = hex::encode(hash_param(req.source_hash)?);
        let target_hash = hash_param(req.target_hash)?;
        let target_size = req
            .target_size
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= i64::MAX as u64)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?;
        let f = self
            .file_for_write(caller, Some(req.quick_key), None)
            .await?;
        if f.trash_state != crate::tree::LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let declared = match req.declared_size.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => return Ok(SimpleOutcome::Refused(refusal::INVALID_SIZE)),
            },
        };
        let cap = self.settings().patch_max_target;
        let max = self.settings().limits.max_upload_size;
        if target_size > cap || (max > 0 && target_size > max) || declared.is_some_and(|d| d > cap)
        {
            return Ok(SimpleOutcome::Refused(refusal::TOO_LARGE));
        }

        let mut record = UploadRow {
            upload_key: UploadKey::generate().as_str().to_string(),
            user_id: caller.user_id,
            folder_id: Some(f.folder_id),
            file_name: f.name.clone(),
            size: target_size as i64,
            hash: hex::encode(target_hash),
            status: STATUS_DONE,
            fileerror: String::new(),
            quickkey: String::new(),
            revision: 0,
            created_us: now_us(),
            updated_us: 0,
        };
        if f.hash != source_hash {
            record.fileerror = fileerror::REVISION_CONFLICT.to_string();
            return self.record_upload(record).await;
        }
        if f.hash == record.hash {
            return Err(ApiError::new(codes::UPDATE_NO_CHANGE));
        }
        let user = self.user(caller.user_id).await?;
        // The old head's bytes are freed by the replacement.
        if target_size as i64 > (user.quota_bytes - user.used_bytes + f.size).max(0) {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }

        let delta = match self.spool_delta(body, cap, declared).await? {
            Spooled::Ready(file) => file,
            Spooled::Refused(code) => return Ok(SimpleOutcome::Refused(code)),
            Spooled::TooLarge => {
                record.fileerror = fileerror::TOO_LARGE.to_string();
                return self.record_upload(record).await;
            }
        };
        match self
            .apply_delta(&f, delta, target_size, target_hash)
            .await?
        {
            Err(code) => record.fileerror = code.to_string(),
            Ok(_) => {
                // The head may have moved while the delta was read and decoded.
                let mut c = self.db().acquire().await.map_err(internal)?;
                let now = store_tree::file_by_key(&mut c, &f.quickkey)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| ApiError::new(codes::INVALID_QUICKKEY))?;
                drop(c);
                if now.trash_state != crate::tree::LIVE {
                    return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
                }
                if now.hash != source_hash {
                    record.fileerror = fileerror::REVISION_CONFLICT.to_string();
                } else {
                    let (done, _) = self
                        .replace_and_reload(caller, &now, &record.hash, target_size as i64)
                        .await?;
                    record.fill_from(&done, true);
                }
            }
        }
        self.record_upload(record).await
    }

    /// Reads the whole body into an unnamed temp file beside the resumable units (gone when
    /// closed, even after a crash). Past `cap` it stops storing but still reads the body, so
    /// the client gets the answer.
    async fn spool_delta<S: ByteSource>(
        &self,
        body: &mut S,
        cap: u64,
        declared: Option<u64>,
    ) -> Result<Spooled, ApiError> {
        use tokio::io::AsyncWriteExt as _;
        let dir = self
            .blobs()
            .unit_spool_dir()
            .unwrap_or_else(std::env::temp_dir);
        tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        let mut out = tokio::fs::File::from_std(file);
        let mut total: u64 = 0;
        loop {
            let chunk = match body.next_chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(()) => return Ok(Spooled::Refused(refusal::PARTIAL)),
            };
            let bytes = chunk.as_ref();
            total = total.saturating_add(bytes.len() as u64);
            if total <= cap {
                out.write_all(bytes).await.map_err(internal)?;
            }
        }
        if total > cap {
            return Ok(Spooled::TooLarge);
        }
        if declared.is_some_and(|d| d != total) {
            return Ok(Spooled::Refused(refusal::SIZE_MISMATCH));
        }
        out.flush().await.map_err(internal)?;
        Ok(Spooled::Ready(out.into_std().await))
    }

    /// Decodes `delta` against `f`'s content into a new blob, which must have `target_size`
    /// bytes and the SHA-256 `target_hash`. `Ok(Err(fileerror))` when the delta is refused or
    /// builds something else; then nothing is stored.
    async fn apply_delta(
        &self,
        f: &FileRow,
        delta: std::fs::File,
        target_size: u64,
        target_hash: [u8; 32],
    ) -> Result<Result<BlobId, &'static str>, ApiError> {
        let source = if f.size == 0 {
            None
        } else {
            let id = BlobId::parse(&f.hash).map_err(internal)?;
            let file = self.blobs().open(&id).await.map_err(internal)?;
            Some(file.into_std().await)
        };
        let cap = self.settings().patch_max_target;
        let limits = vcdiff::Limits {
            max_target: target_size,
            max_window: MAX_WINDOW,
            max_segment: cap,
            // Each window's segment is read once; real deltas read about the source once.
            max_source_reads: (f.size.max(0) as u64)
                .saturating_mul(2)
                .saturating_add(target_size.saturating_mul(8))
                .saturating_add(64 * 1024 * 1024),
            max_dict: MAX_DICT,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
        let task = tokio::task::spawn_blocking(move || -> Result<u64, vcdiff::Error> {
            let delta = FileAt::new(delta).map_err(vcdiff::Error::Io)?;
            let send = |w: Vec<u8>| {
                tx.blocking_send(w)
                    .map_err(|_| std::io::Error::other("the blob writer stopped"))
            };
            match source {
                Some(s) => {
                    let source = FileAt::new(s).map_err(vcdiff::Error::Io)?;
                    vcdiff::decode(&delta, &source, &limits, send)
                }
                None => vcdiff::decode(&delta, &[][..], &limits, send),
            }
        });
        let mut writer = self.blobs().begin_write().await.map_err(internal)?;
        let mut write_err = None;
        while let Some(window) = rx.recv().await {
            if let Err(e) = writer.write(&window).await {
                write_err = Some(e);
                break;
            }
        }
        drop(rx);
        let decoded = task.await.map_err(internal)?;
        if let Some(e) = write_err {
            return Err(internal(e));
        }
        match decoded {
            Ok(_) => {}
            Err(vcdiff::Error::TargetTooLong) => return Ok(Err(fileerror::HASH_MISMATCH)),
            Err(vcdiff::Error::Io(e) | vcdiff::Error::Output(e)) => return Err(internal(e)),
            Err(e) => {
                tracing::info!(error = %e, "upload/patch: delta refused");
                return Ok(Err(fileerror::PATCH_FAILED));
            }
        }
        match writer.finish(Some(target_hash), Some(target_size)).await {
            Ok(id) => Ok(Ok(id)),
            Err(StoreError::Mismatch(_)) => Ok(Err(fileerror::HASH_MISMATCH)),
            Err(e) => Err(internal(e)),
        }
    }
}
