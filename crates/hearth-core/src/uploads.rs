//! Uploads: `upload/check` (duplicates, dedup, quota), `upload/instant` (a file from content
//! the account already holds), `upload/simple` (a whole file streamed into the blob store while
//! hashed, then added in one transaction) and the upload keys `upload/poll_upload` reports.
//!
//! Dedup is per account: content counts as present only when the uploading user already holds
//! it (a file head or a kept version), so nothing reveals what other accounts store.
//! Failures inside an upload (hash or size mismatch, quota, duplicate with `skip`, path
//! creation) end the key in status 99 with a fileerror, as clients expect; refusals before any
//! byte is accepted are `doupload.result` codes (spec/upload.md §13).

use std::future::Future;
use std::path::PathBuf;

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::UploadKey;
use hearth_store::blob::BlobId;
use hearth_store::tree::{self as store_tree, FileRow, FolderRow};
use hearth_store::uploads::{self as store, ResumableRow, UploadRow};
use hearth_store::StoreError;

use crate::sessions::Caller;
use crate::tree::{valid_name, NewRevision, OnDuplicate, Target};
use crate::{internal, now_us, Core};

/// Anonymous uploads into a FileDrop (`filedrop_key`).
pub mod filedrop;

use filedrop::Actor;
pub use filedrop::Uploader;

/// Poll status: no more requests for this key (terminal).
pub const STATUS_DONE: i64 = 99;

/// fileerror codes (spec/upload.md §8).
pub mod fileerror {
    pub const TOO_LARGE: &str = "1";
    pub const HASH_MISMATCH: &str = "7";
    pub const DUPLICATE: &str = "13";
    pub const NO_FOLDER: &str = "14";
    pub const STORAGE_LIMIT: &str = "15";
    pub const REVISION_CONFLICT: &str = "16";
    pub const PATCH_FAILED: &str = "17";
    pub const PATH_FAILED: &str = "19";
    pub const UNKNOWN: &str = "6";
}

/// `doupload.result` refusals of upload/simple (spec/upload.md §13).
pub mod refusal {
    pub const PARTIAL: i64 = -43;
    pub const INVALID_SIZE: i64 = -48;
    pub const MISSING_NAME: i64 = -49;
    pub const SIZE_MISMATCH: i64 = -51;
    pub const HASH_MISMATCH: i64 = -90;
    pub const TOO_LARGE: i64 = -700;
    pub const BEFORE_CHECK: i64 = -302;
    pub const INVALID_UNIT_SIZE: i64 = -303;
    pub const INVALID_UNIT_HASH: i64 = -304;
}

/// The bytes of an upload body, chunk by chunk (the server adapts its HTTP body).
pub trait ByteSource: Send {
    type Chunk: AsRef<[u8]> + Send;
    /// The next chunk; `Ok(None)` at the end; `Err` when the body broke off.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Self::Chunk>, ()>> + Send;
}

/// `action_on_duplicate` of the upload calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadDuplicate {
    /// The default: a same-named file with the same content is the answer; different content
    /// is refused (143 / fileerror 13).
    Skip,
    /// Upload under a new unique name, `Name (1).ext`.
    Keep,
    /// The same-named file gets the content as a new version.
    Replace,
}

impl UploadDuplicate {
    pub fn parse(v: Option<&str>) -> Result<UploadDuplicate, ApiError> {
        match v.filter(|v| !v.is_empty()) {
            None | Some("skip") => Ok(UploadDuplicate::Skip),
            Some("keep") => Ok(UploadDuplicate::Keep),
            Some("replace") => Ok(UploadDuplicate::Replace),
            Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
        }
    }
}

/// Where an upload goes: `folder_key` (default the root) and a `path` relative to it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Destination<'a> {
    pub folder_key: Option<&'a str>,
    pub path: Option<&'a str>,
}

/// `upload/check` input.
pub struct CheckRequest<'a> {
    pub filename: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub size: Option<i64>,
    pub dest: Destination<'a>,
    /// `resumable=yes`: report (opening if needed) the resumable session.
    pub resumable: bool,
}

/// `upload/check` answer.
pub struct CheckResult {
    pub hash_exists: bool,
    pub in_folder: bool,
    pub file_exists: bool,
    pub different_hash: bool,
    pub duplicate_quickkey: Option<String>,
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub limit_exceeded: bool,
    /// The destination's key when `path` was given and resolved.
    pub folder_key: Option<String>,
    /// With `resumable=yes`: the session's layout and received units.
    pub resumable: Option<ResumableState>,
}

/// The file an upload created or reused.
pub struct Placed {
    pub file: FileRow,
    /// The device revision after the change; `None` when nothing changed.
    pub revision: Option<NewRevision>,
}

/// An upload key's record takes the file it made: key, revision, date, and the stored name
/// (unless the uploader may not learn it: a FileDrop uploader keeps the name they sent).
pub(crate) trait FillFromFile {
    fn fill_from(&mut self, f: &FileRow, show_name: bool);
}

impl FillFromFile for UploadRow {
    fn fill_from(&mut self, f: &FileRow, show_name: bool) {
        self.quickkey = f.quickkey.clone();
        if show_name {
            self.file_name = f.name.clone();
        }
        self.revision = f.revision;
        self.created_us = f.created_us;
    }
}

/// `upload/simple` input.
pub struct SimpleRequest<'a> {
    pub filename: Option<&'a str>,
    /// `X-Filesize`, raw.
    pub declared_size: Option<&'a str>,
    /// `X-Filehash`, raw.
    pub declared_hash: Option<&'a str>,
    pub dest: Destination<'a>,
    pub on_duplicate: UploadDuplicate,
    pub mtime_us: Option<i64>,
}

/// What `upload/simple` answers in `doupload`.
pub enum SimpleOutcome {
    /// `result 0` and the upload key (its poll tells success or the fileerror).
    Key(String),
    /// A refusal before the upload was accepted: `doupload.result`.
    Refused(i64),
}

/// Unit size of a resumable upload of `size` bytes (spec/upload.md §3.1).
pub fn unit_size(size: i64) -> i64 {
    const MIB: i64 = 1024 * 1024;
    let mut s = 0;
    let mut t = 4 * MIB;
    while s < 7 && size >= t {
        s += 1;
        t = t.saturating_mul(4);
    }
    if s == 0 {
        4 * MIB
    } else {
        MIB << (s - 1)
    }
}

fn parse_hash(h: &str) -> Option<[u8; 32]> {
    if h.len() != 64 {
        return None;
    }
    BlobId::parse(h).ok().map(|b| b.0)
}

fn db_err(e: StoreError) -> ApiError {
    internal(e)
}

impl Core {
    /// Resolves the destination; with `create`, missing folders of `path` are created.
    /// `Ok(None)` when `path` names a missing folder and `create` is off.
    async fn upload_folder(
        &self,
        caller: &Caller,
        dest: Destination<'_>,
        create: bool,
    ) -> Result<Option<FolderRow>, ApiError> {
        let mut folder = self
            .live_folder_for_write(caller, Target::of(dest.folder_key, None))
            .await?;
        for part in dest.path.unwrap_or("").split('/').filter(|p| !p.is_empty()) {
            let mut c = self.db().acquire().await.map_err(db_err)?;
            let child = store_tree::child_folder_named(&mut c, folder.id, part)
                .await
                .map_err(db_err)?;
            drop(c);
            folder = match child {
                Some(f) => f,
                None if create => {
                    self.create_folder(
                        caller,
                        Target::Key(&folder.folderkey),
                        Some(part),
                        OnDuplicate::Skip,
                        None,
                    )
                    .await?
                    .0
                }
                None => return Ok(None),
            };
        }
        Ok(Some(folder))
    }

    /// `upload/check`. A FileDrop uploader learns only the file's name and hash are valid and
    /// whether the owner's quota would be exceeded; `resumable=yes` opens (or joins) the
    /// FileDrop's own session.
    pub async fn upload_check(
        &self,
        who: impl Into<Uploader<'_>>,
        req: CheckRequest<'_>,
    ) -> Result<CheckResult, ApiError> {
        let up = self.actor(who.into()).await?;
        if let Some(n) = req.filename {
            if !valid_name(n) {
                return Err(ApiError::new(codes::INVALID_FILENAME));
            }
        }
        let hash = match req.hash {
            Some(h) => Some(
                parse_hash(h)
                    .map(hex::encode)
                    .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?,
            ),
            None => None,
        };
        let folder = match &up {
            Actor::Owner(caller) => self.upload_folder(caller, req.dest, false).await?,
            Actor::Drop(_) => None,
        };
        let user = self.user(up.caller().user_id).await?;
        let mut out = CheckResult {
            hash_exists: false,
            in_folder: false,
            file_exists: false,
            different_hash: false,
            duplicate_quickkey: None,
            used_bytes: 0,
            quota_bytes: 0,
            limit_exceeded: user.used_bytes + req.size.unwrap_or(0) > user.quota_bytes,
            folder_key: None,
            resumable: None,
        };
        if let Actor::Owner(caller) = &up {
            out.used_bytes = user.used_bytes;
            out.quota_bytes = user.quota_bytes;
            self.check_account(caller, &req, hash.as_deref(), folder, &mut out)
                .await?;
        }
        if req.resumable {
            out.resumable = Some(
                self.check_resumable(&up, hash.as_deref(), req.size, req.filename, req.dest)
                    .await?,
            );
        }
        Ok(out)
    }

    /// What `upload/check` tells the account's own user: whether the account holds the
    /// content, and in the destination folder `folder`, and a same-named file there.
    async fn check_account(
        &self,
        caller: &Caller,
        req: &CheckRequest<'_>,
        hash: Option<&str>,
        folder: Option<FolderRow>,
        out: &mut CheckResult,
    ) -> Result<(), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        if let Some(h) = hash {
            let held = self.known_content_size(&mut c, caller.user_id, h).await?;
            out.hash_exists = held.is_some_and(|s| req.size.is_none_or(|want| want == s));
        }
        if let Some(folder) = &folder {
            if req.dest.path.is_some_and(|p| !p.is_empty()) {
                out.folder_key = Some(crate::tree::wire_key(folder));
            }
            if let (true, Some(h)) = (out.hash_exists, hash) {
                out.in_folder = store::folder_has_content(&mut c, folder.id, h)
                    .await
                    .map_err(db_err)?;
            }
            if let Some(name) = req.filename {
                if let Some(f) = store_tree::child_file_named(&mut c, folder.id, name)
                    .await
                    .map_err(db_err)?
                {
                    out.file_exists = true;
                    out.different_hash = hash != Some(f.hash.as_str());
                    out.duplicate_quickkey = Some(f.quickkey);
                }
            }
        }
        Ok(())
    }

    /// The size of content `hash` as dedup may use it for `user_id`: content the user holds
    /// (a file or an earlier version), or with `dedup_global` any stored content.
    async fn known_content_size(
        &self,
        c: &mut hearth_store::Conn,
        user_id: i64,
        hash: &str,
    ) -> Result<Option<i64>, ApiError> {
        if self.settings().dedup_global {
            store::stored_content_size(c, hash).await.map_err(db_err)
        } else {
            store::user_content_size(c, user_id, hash)
                .await
                .map_err(db_err)
        }
    }

    /// `upload/instant`: a file from content `hash` the caller already holds (else 129).
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_instant(
        &self,
        caller: &Caller,
        filename: Option<&str>,
        hash: Option<&str>,
        size: Option<i64>,
        dest: Destination<'_>,
        on_duplicate: UploadDuplicate,
        mtime_us: Option<i64>,
    ) -> Result<Placed, ApiError> {
        let name = filename
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::new(codes::INVALID_FILENAME))?;
        if !valid_name(name) {
            return Err(ApiError::new(codes::INVALID_FILENAME));
        }
        let hash = hash
            .and_then(parse_hash)
            .map(hex::encode)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let held = self
            .known_content_size(&mut c, caller.user_id, &hash)
            .await?;
        drop(c);
        let size = match (held, size) {
            (Some(s), None) => s,
            (Some(s), Some(want)) if s == want => s,
            _ => return Err(ApiError::new(codes::INVALID_PARAMS)),
        };
        let folder = self
            .upload_folder(caller, dest, true)
            .await?
            .ok_or_else(|| ApiError::new(codes::INVALID_FOLDERKEY))?;
        self.place_upload(
            caller,
            &folder,
            name,
            &hash,
            size,
            on_duplicate,
            mtime_us,
            None,
        )
        .await
        .map(|(placed, _)| placed)
    }

    /// [`Core::replace_content`], then the file as it now is (new content, new revision).
    pub(crate) async fn replace_and_reload(
        &self,
        caller: &Caller,
        f: &FileRow,
        hash: &str,
        size: i64,
    ) -> Result<(FileRow, NewRevision), ApiError> {
        let rev = self.replace_content(caller, f, hash, size).await?;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let f = store_tree::file_by_key(&mut c, &f.quickkey)
            .await
            .map_err(db_err)?
            .ok_or_else(|| ApiError::new(codes::INTERNAL))?;
        Ok((f, rev))
    }

    /// Writes an upload key's final record (status 99 for poll_upload) and answers the key.
    pub(crate) async fn record_upload(
        &self,
        mut record: UploadRow,
    ) -> Result<SimpleOutcome, ApiError> {
        record.updated_us = now_us();
        // Batched with concurrent uploads' writes (see `Db::write_batched`).
        let key = self
            .db()
            .write_batched(move |c| {
                let record = record.clone();
                Box::pin(async move {
                    store::insert_upload(c, &record)
                        .await
                        .map(|()| record.upload_key)
                })
            })
            .await
            .and_then(|inserted| inserted)
            .map_err(db_err)?;
        Ok(SimpleOutcome::Key(key))
    }

    /// Adds stored content `hash` as file `name` of `folder`, by `action_on_duplicate`:
    /// skip (same content: the existing file; different: 143), keep, replace (a new version of
    /// the existing file; the same content changes nothing). With `record` (an upload key's
    /// record, and whether it shows the stored name), a new file's transaction also writes the
    /// record, filled from the file: `true` in the answer says it did.
    #[allow(clippy::too_many_arguments)]
    async fn place_upload(
        &self,
        caller: &Caller,
        folder: &FolderRow,
        name: &str,
        hash: &str,
        size: i64,
        on_duplicate: UploadDuplicate,
        mtime_us: Option<i64>,
        record: Option<(&UploadRow, bool)>,
    ) -> Result<(Placed, bool), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let existing = store_tree::child_file_named(&mut c, folder.id, name)
            .await
            .map_err(db_err)?;
        drop(c);
        let add = |dup| {
            let record = record.map(|(r, show)| (r.clone(), show));
            let new = (name, hash, size, dup, mtime_us);
            self.add_file_recorded(caller.user_id, folder, new, record)
        };
        let ((file, revision), recorded) = match (existing, on_duplicate) {
            (None, _) => (add(OnDuplicate::Allow).await?, record.is_some()),
            (Some(f), UploadDuplicate::Skip | UploadDuplicate::Replace) if f.hash == hash => {
                ((f, None), false)
            }
            (Some(_), UploadDuplicate::Skip) => {
                return Err(ApiError::new(codes::FILE_ALREADY_EXISTS))
            }
            (Some(_), UploadDuplicate::Keep) => (add(OnDuplicate::Keep).await?, record.is_some()),
            (Some(f), UploadDuplicate::Replace) => {
                let (f, rev) = self.replace_and_reload(caller, &f, hash, size).await?;
                ((f, Some(rev)), false)
            }
        };
        Ok((Placed { file, revision }, recorded))
    }

    /// `upload/simple`: streams `body` into the blob store while hashing (never holding the
    /// whole file), verifies `X-Filehash` / `X-Filesize`, adds the file, and records the key.
    /// A FileDrop upload goes into the FileDrop's folder, always under a new unique name, and
    /// its poll answer shows the name sent (the unique one would tell of a same-named file).
    pub async fn upload_simple<S: ByteSource>(
        &self,
        who: impl Into<Uploader<'_>>,
        req: SimpleRequest<'_>,
        body: &mut S,
    ) -> Result<SimpleOutcome, ApiError> {
        let up = self.actor(who.into()).await?;
        let caller = up.caller();
        let req = SimpleRequest {
            dest: up.dest(req.dest),
            on_duplicate: up.on_duplicate(req.on_duplicate),
            ..req
        };
        let name = match req.filename.filter(|n| !n.is_empty()) {
            Some(n) if valid_name(n) => n,
            _ => return Ok(SimpleOutcome::Refused(refusal::MISSING_NAME)),
        };
        let declared_size = match req.declared_size.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n <= i64::MAX as u64 => Some(n),
                _ => return Ok(SimpleOutcome::Refused(refusal::INVALID_SIZE)),
            },
        };
        let declared_hash = match req.declared_hash.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(h) => match parse_hash(h) {
                Some(b) => Some(b),
                None => return Ok(SimpleOutcome::Refused(refusal::HASH_MISMATCH)),
            },
        };
        let max = self.settings().limits.max_upload_size;
        if declared_size.is_some_and(|s| max > 0 && s > max) {
            return Ok(SimpleOutcome::Refused(refusal::TOO_LARGE));
        }
        // The destination folder must exist before any byte is accepted (112/114/211);
        // folders of `path` are created after the content is stored.
        let base = self
            .live_folder_for_write(caller, Target::of(req.dest.folder_key, None))
            .await?;
        let user = self.user(caller.user_id).await?;
        let room = (user.quota_bytes - user.used_bytes).max(0) as u64;

        let mut record = UploadRow {
            upload_key: UploadKey::generate().as_str().to_string(),
            user_id: caller.user_id,
            folder_id: Some(base.id),
            file_name: name.to_string(),
            size: declared_size.unwrap_or(0) as i64,
            hash: declared_hash.map(hex::encode).unwrap_or_default(),
            status: STATUS_DONE,
            fileerror: String::new(),
            quickkey: String::new(),
            revision: 0,
            created_us: now_us(),
            updated_us: 0,
        };

        // Stream, stopping to store (but still reading) once the file cannot be accepted.
        let mut failure: Option<&'static str> = None;
        if declared_size.is_some_and(|s| s > room) {
            failure = Some(fileerror::STORAGE_LIMIT);
        }
        let mut writer = Some(self.blobs().begin_write().await.map_err(internal)?);
        let mut total: u64 = 0;
        loop {
            let chunk = match body.next_chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(()) => return Ok(SimpleOutcome::Refused(refusal::PARTIAL)),
            };
            let bytes = chunk.as_ref();
            total += bytes.len() as u64;
            if failure.is_none() && max > 0 && total > max {
                failure = Some(fileerror::TOO_LARGE);
            }
            if failure.is_none() && total > room {
                failure = Some(fileerror::STORAGE_LIMIT);
            }
            if failure.is_some() {
                writer = None; // dropping it removes the temp file
                continue;
            }
            if let Some(w) = writer.as_mut() {
                w.write(bytes).await.map_err(internal)?;
            }
        }
        record.size = total as i64;
        let stored = match (failure, writer) {
            (None, Some(w)) => match w.finish(declared_hash, declared_size).await {
                Ok(id) => Some(id),
                Err(StoreError::Mismatch(_)) => {
                    failure = Some(fileerror::HASH_MISMATCH);
                    None
                }
                Err(e) => return Err(internal(e)),
            },
            _ => None,
        };
        if let Some(id) = stored {
            record.hash = id.to_hex();
            match self.upload_folder(caller, req.dest, true).await {
                Ok(Some(folder)) => {
                    record.folder_id = Some(folder.id);
                    match self
                        .place_upload(
                            caller,
                            &folder,
                            name,
                            &record.hash,
                            total as i64,
                            req.on_duplicate,
                            req.mtime_us,
                            Some((&record, up.sees_account())),
                        )
                        .await
                    {
                        // A new file's transaction wrote the record with it.
                        Ok((_, true)) => return Ok(SimpleOutcome::Key(record.upload_key)),
                        Ok((p, false)) => record.fill_from(&p.file, up.sees_account()),
                        Err(e) => failure = Some(fileerror_of(&e)?),
                    }
                }
                Ok(None) | Err(_) => failure = Some(fileerror::PATH_FAILED),
            }
        }
        if let Some(code) = failure {
            record.fileerror = code.to_string();
        }
        self.record_upload(record).await
    }

    /// `upload/update`: streams `body` into the blob store like `upload/simple` and makes it
    /// the new content of the caller's live file `quick_key` ([`Core::replace_content`]: the
    /// old head becomes an earlier version). The file is checked before any byte is read
    /// (110/114, trash 211); identical content is 238 and going over quota 162 once the body is
    /// read; a hash or size mismatch ends the key with fileerror 7, as for upload/simple.
    pub async fn upload_update<S: ByteSource>(
        &self,
        caller: &Caller,
        quick_key: &str,
        declared_size: Option<&str>,
        declared_hash: Option<&str>,
        body: &mut S,
    ) -> Result<SimpleOutcome, ApiError> {
        let f = self.file_for_write(caller, Some(quick_key), None).await?;
        if f.trash_state != crate::tree::LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let declared_size = match declared_size.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n <= i64::MAX as u64 => Some(n),
                _ => return Ok(SimpleOutcome::Refused(refusal::INVALID_SIZE)),
            },
        };
        let declared_hash = match declared_hash.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(h) => match parse_hash(h) {
                Some(b) => Some(b),
                None => return Ok(SimpleOutcome::Refused(refusal::HASH_MISMATCH)),
            },
        };
        let max = self.settings().limits.max_upload_size;
        if declared_size.is_some_and(|s| max > 0 && s > max) {
            return Ok(SimpleOutcome::Refused(refusal::TOO_LARGE));
        }
        let user = self.user(caller.user_id).await?;
        // The old head's bytes are freed by the replacement.
        let room = (user.quota_bytes - user.used_bytes + f.size).max(0) as u64;
        let mut over_quota = declared_size.is_some_and(|s| s > room);
        let mut too_large = false;
        let mut writer = Some(self.blobs().begin_write().await.map_err(internal)?);
        let mut total: u64 = 0;
        loop {
            let chunk = match body.next_chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(()) => return Ok(SimpleOutcome::Refused(refusal::PARTIAL)),
            };
            let bytes = chunk.as_ref();
            total += bytes.len() as u64;
            too_large |= max > 0 && total > max;
            over_quota |= total > room;
            if too_large || over_quota {
                writer = None; // dropping it removes the temp file
                continue;
            }
            if let Some(w) = writer.as_mut() {
                w.write(bytes).await.map_err(internal)?;
            }
        }
        if over_quota && !too_large {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let mut record = UploadRow {
            upload_key: UploadKey::generate().as_str().to_string(),
            user_id: caller.user_id,
            folder_id: Some(f.folder_id),
            file_name: f.name.clone(),
            size: total as i64,
            hash: declared_hash.map(hex::encode).unwrap_or_default(),
            status: STATUS_DONE,
            fileerror: String::new(),
            quickkey: String::new(),
            revision: 0,
            created_us: now_us(),
            updated_us: 0,
        };
        let stored = match writer.filter(|_| !too_large) {
            None => {
                record.fileerror = fileerror::TOO_LARGE.to_string();
                None
            }
            Some(w) => match w.finish(declared_hash, declared_size).await {
                Ok(id) => Some(id),
                Err(StoreError::Mismatch(_)) => {
                    record.fileerror = fileerror::HASH_MISMATCH.to_string();
                    None
                }
                Err(e) => return Err(internal(e)),
            },
        };
        if let Some(id) = stored {
            record.hash = id.to_hex();
            // 238 (same content) and 162 (quota, if usage grew meanwhile) answer the call.
            let (f, _) = self
                .replace_and_reload(caller, &f, &record.hash, total as i64)
                .await?;
            record.fill_from(&f, true);
        }
        self.record_upload(record).await
    }

    /// `upload/poll_upload`: the upload with this key, if it was issued.
    pub async fn poll_upload(&self, key: &str) -> Result<Option<UploadRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        store::upload_by_key(&mut c, key).await.map_err(db_err)
    }
}

// ---------------------------------------------------------------------------------------------
// Resumable uploads

/// Poll status while the units of a resumable upload arrive.
pub const STATUS_UNITS: i64 = 17;
/// Poll status while a resumable upload is being assembled.
pub const STATUS_ASSEMBLING: i64 = 19;

/// The unit layout and received units of a resumable session, as check and every unit report.
#[derive(Clone, Debug)]
pub struct ResumableState {
    /// The session's upload key; `None` when check had no hash and size to open one.
    pub upload_key: Option<String>,
    pub unit_size: i64,
    pub number_of_units: i64,
    /// Ids of the received, verified units.
    pub received: Vec<i64>,
    pub all_units_ready: bool,
}

impl ResumableState {
    fn layout(size: i64) -> ResumableState {
        let unit = unit_size(size);
        ResumableState {
            upload_key: None,
            unit_size: unit,
            number_of_units: (size + unit - 1) / unit,
            received: Vec::new(),
            all_units_ready: false,
        }
    }

    /// The bitmap words (spec/upload.md §3.2): bit j of word i ⇔ unit 16·i + j received.
    pub fn words(&self) -> Vec<u16> {
        let mut w = vec![0u16; ((self.number_of_units + 15) / 16) as usize];
        for &id in &self.received {
            if id >= 0 && id < self.number_of_units {
                w[(id / 16) as usize] |= 1 << (id % 16);
            }
        }
        w
    }
}

/// `upload/resumable` input: the raw headers of one unit and the query parameters.
pub struct ResumableRequest<'a> {
    /// `X-Filename` (optional; overrides the check's name).
    pub filename: Option<&'a str>,
    pub declared_size: Option<&'a str>,
    pub declared_hash: Option<&'a str>,
    pub unit_id: Option<&'a str>,
    pub unit_hash: Option<&'a str>,
    pub unit_size: Option<&'a str>,
    /// Used only when no check opened the session (a unit with `X-Filename`).
    pub dest: Destination<'a>,
    pub on_duplicate: UploadDuplicate,
    pub mtime_us: Option<i64>,
}

/// What `upload/resumable` answers.
pub enum ResumableOutcome {
    /// `doupload{result 0, key}` and the session's `resumable_upload`.
    Unit(ResumableState),
    /// `doupload.result` refusal; the unit is not recorded.
    Refused(i64),
}

/// Drains a body (so the client sees the answer, not a reset connection).
async fn drain<S: ByteSource>(body: &mut S) {
    while let Ok(Some(_)) = body.next_chunk().await {}
}

fn parse_num(v: Option<&str>) -> Option<i64> {
    v.map(str::trim)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n >= 0)
}

impl Core {
    fn unit_dir(&self, upload_key: &str) -> PathBuf {
        self.blobs()
            .unit_spool_dir()
            .unwrap_or_else(|| std::env::temp_dir().join("hearth-units"))
            .join(upload_key)
    }

    fn resumable_expiry(&self) -> i64 {
        now_us().saturating_add(self.settings().resumable_lifetime.as_micros() as i64)
    }

    async fn remove_units(&self, upload_key: &str) {
        match tokio::fs::remove_dir_all(self.unit_dir(upload_key)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, upload_key, "removing resumable units"),
        }
    }

    async fn resumable_state(&self, s: &ResumableRow) -> Result<ResumableState, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let received = store::unit_ids(&mut c, s.id).await.map_err(db_err)?;
        let all =
            s.state != store::RESUMABLE_RECEIVING || received.len() as i64 >= s.number_of_units;
        Ok(ResumableState {
            upload_key: Some(s.upload_key.clone()),
            unit_size: s.unit_size,
            number_of_units: s.number_of_units,
            received: if s.state == store::RESUMABLE_RECEIVING {
                received
            } else {
                (0..s.number_of_units).collect()
            },
            all_units_ready: all,
        })
    }

    /// Finds or opens the session of (uploader, hash, size); a later check re-targets a session
    /// still receiving (name, destination) and extends its expiry. A finished session is kept
    /// only while the owner still holds its content, and never for a FileDrop uploader (that
    /// would tell that someone already sent this content); otherwise a new one starts.
    async fn open_resumable(
        &self,
        up: &Actor<'_>,
        hash: &str,
        size: i64,
        name: &str,
        dest: Destination<'_>,
    ) -> Result<ResumableRow, ApiError> {
        let (user_id, filedrop_id) = (up.caller().user_id, up.filedrop_id());
        let expires = self.resumable_expiry();
        for _ in 0..3 {
            // The writer: this may retarget or remove the session it finds.
            let mut c = self.db().acquire_writer().await.map_err(db_err)?;
            if let Some(s) = store::resumable_by_content(&mut c, user_id, filedrop_id, hash, size)
                .await
                .map_err(db_err)?
            {
                match s.state {
                    store::RESUMABLE_RECEIVING => {
                        store::retarget_resumable(
                            &mut c,
                            s.id,
                            name,
                            dest.folder_key,
                            dest.path,
                            expires,
                        )
                        .await
                        .map_err(db_err)?;
                        return Ok(s);
                    }
                    store::RESUMABLE_DONE => {
                        if up.sees_account()
                            && self
                                .known_content_size(&mut c, user_id, hash)
                                .await?
                                .is_some()
                        {
                            return Ok(s);
                        }
                        store::delete_resumable(&mut c, s.id)
                            .await
                            .map_err(db_err)?;
                        drop(c);
                        self.remove_units(&s.upload_key).await;
                        continue;
                    }
                    _ => return Ok(s),
                }
            }
            drop(c);
            let layout = ResumableState::layout(size);
            let row = ResumableRow {
                id: 0,
                user_id,
                filedrop_id,
                hash: hash.to_string(),
                size,
                upload_key: UploadKey::generate().as_str().to_string(),
                file_name: name.to_string(),
                folder_key: dest.folder_key.map(str::to_string),
                path: dest.path.map(str::to_string),
                unit_size: layout.unit_size,
                number_of_units: layout.number_of_units,
                state: store::RESUMABLE_RECEIVING,
                created_us: now_us(),
                expires_us: expires,
            };
            let mut tx = self.db().begin_write().await.map_err(db_err)?;
            if store::insert_resumable(&mut tx, &row)
                .await
                .map_err(db_err)?
            {
                store::insert_upload(
                    &mut tx,
                    &UploadRow {
                        upload_key: row.upload_key.clone(),
                        user_id,
                        folder_id: None,
                        file_name: name.to_string(),
                        size,
                        hash: hash.to_string(),
                        status: STATUS_UNITS,
                        fileerror: String::new(),
                        quickkey: String::new(),
                        revision: 0,
                        created_us: row.created_us,
                        updated_us: row.created_us,
                    },
                )
                .await
                .map_err(db_err)?;
            }
            tx.commit().await.map_err(internal)?;
            // Inserted, or someone else did at the same time: read it back.
        }
        let mut c = self.db().acquire().await.map_err(db_err)?;
        store::resumable_by_content(&mut c, user_id, filedrop_id, hash, size)
            .await
            .map_err(db_err)?
            .ok_or_else(|| ApiError::new(codes::INTERNAL))
    }

    /// The `resumable_upload` state of `upload/check resumable=yes`: with a hash and a size,
    /// the session (opened if needed) and its received units; otherwise the bare layout.
    async fn check_resumable(
        &self,
        up: &Actor<'_>,
        hash: Option<&str>,
        size: Option<i64>,
        name: Option<&str>,
        dest: Destination<'_>,
    ) -> Result<ResumableState, ApiError> {
        if let Err(e) = self.cleanup_resumable().await {
            tracing::warn!(error = ?e, "resumable cleanup failed");
        }
        match (hash, size) {
            (Some(h), Some(s)) if s > 0 => {
                let row = self
                    .open_resumable(up, h, s, name.unwrap_or(""), up.dest(dest))
                    .await?;
                self.resumable_state(&row).await
            }
            _ => Ok(ResumableState::layout(size.unwrap_or(0))),
        }
    }

    /// Finishes assemblies a dead server left behind. Only for the single-process SQLite mode,
    /// where this process owns the data, so a session still "assembling" was cut off (with
    /// several PostgreSQL nodes another node may be assembling it: those expire instead).
    /// Every unit is on disk: the file is assembled now under the session's name, with the
    /// account's default `action_on_duplicate` (a FileDrop's: keep).
    pub async fn resume_interrupted_assemblies(&self) -> Result<u64, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let sessions = store::assembling_resumables(&mut c).await.map_err(db_err)?;
        drop(c);
        let mut n = 0;
        for s in sessions {
            let owner = Caller::owner(s.user_id);
            let actor = if s.filedrop_id == 0 {
                Actor::Owner(&owner)
            } else {
                match self.filedrop_target_of(&s).await {
                    Ok(t) => Actor::Drop(Box::new(t)),
                    Err(e) => {
                        tracing::warn!(
                            code = e.code,
                            session = s.id,
                            "FileDrop gone: the interrupted upload expires"
                        );
                        continue;
                    }
                }
            };
            let on_duplicate = actor.on_duplicate(
                self.upload_duplicate(s.user_id, None)
                    .await
                    .unwrap_or(UploadDuplicate::Keep),
            );
            tracing::info!(session = s.id, "resuming an interrupted assembly");
            // One failure must not keep the other sessions from finishing.
            match self
                .assemble(&actor, &s, &s.file_name, on_duplicate, None)
                .await
            {
                Ok(()) => n += 1,
                Err(e) => tracing::error!(code = e.code, session = s.id, "resumed assembly failed"),
            }
        }
        Ok(n)
    }

    /// Removes resumable sessions past their expiry, with their units' files; an upload key
    /// that never finished goes too. Returns how many sessions were removed.
    pub async fn cleanup_resumable(&self) -> Result<u64, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let expired = store::expired_resumables(&mut c, now_us(), 100)
            .await
            .map_err(db_err)?;
        drop(c);
        let mut n = 0;
        for s in expired {
            self.remove_units(&s.upload_key).await;
            let mut tx = self.db().begin_write().await.map_err(db_err)?;
            store::delete_resumable(&mut tx, s.id)
                .await
                .map_err(db_err)?;
            store::delete_unfinished_upload(&mut tx, &s.upload_key, STATUS_DONE)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(internal)?;
            n += 1;
        }
        Ok(n)
    }

    /// Streams one unit into `<spool>/<key>/<id>` (a temp name until verified, fsynced before
    /// it is recorded). `Ok(Err(refusal))` when the size or hash is wrong.
    async fn spool_unit<S: ByteSource>(
        &self,
        upload_key: &str,
        unit_id: i64,
        expect_size: i64,
        expect_hash: &[u8; 32],
        body: &mut S,
    ) -> Result<Result<(), i64>, ApiError> {
        use sha2::Digest as _;
        use tokio::io::AsyncWriteExt as _;
        let dir = self.unit_dir(upload_key);
        tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
        let tmp = dir.join(format!("{unit_id}.{:016x}.tmp", rand::random::<u64>()));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(internal)?;
        let mut hasher = sha2::Sha256::new();
        let mut total: i64 = 0;
        let mut refusal = None;
        loop {
            let chunk = match body.next_chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(()) => {
                    refusal = Some(refusal::PARTIAL);
                    break;
                }
            };
            let bytes = chunk.as_ref();
            total += bytes.len() as i64;
            if total > expect_size {
                refusal = Some(refusal::INVALID_UNIT_SIZE);
                drain(body).await;
                break;
            }
            hasher.update(bytes);
            if let Err(e) = file.write_all(bytes).await {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(internal(e));
            }
        }
        if refusal.is_none() && total != expect_size {
            refusal = Some(refusal::INVALID_UNIT_SIZE);
        }
        if refusal.is_none() && hasher.finalize().as_slice() != expect_hash.as_slice() {
            refusal = Some(refusal::INVALID_UNIT_HASH);
        }
        if let Some(r) = refusal {
            drop(file);
            let _ = tokio::fs::remove_file(&tmp).await;
            return Ok(Err(r));
        }
        let synced = async {
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&tmp, dir.join(unit_id.to_string())).await?;
            tokio::fs::File::open(&dir).await?.sync_all().await
        }
        .await;
        if let Err(e) = synced {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(internal(e));
        }
        Ok(Ok(()))
    }

    /// `upload/resumable`: verifies and stores one unit of the uploader's session for
    /// (`X-Filehash`, `X-Filesize`); the request that brings the last missing unit assembles
    /// the file and places it. A unit of a session already complete is read and ignored.
    /// A FileDrop upload larger than the owner's free space is refused (162) before any unit
    /// is stored.
    pub async fn upload_resumable<S: ByteSource>(
        &self,
        who: impl Into<Uploader<'_>>,
        req: ResumableRequest<'_>,
        body: &mut S,
    ) -> Result<ResumableOutcome, ApiError> {
        let up = self.actor(who.into()).await?;
        macro_rules! refuse {
            ($code:expr) => {{
                drain(body).await;
                return Ok(ResumableOutcome::Refused($code));
            }};
        }
        let Some(size) = parse_num(req.declared_size).filter(|s| *s > 0) else {
            refuse!(refusal::INVALID_SIZE);
        };
        let Some(hash) = req.declared_hash.map(str::trim).and_then(parse_hash) else {
            refuse!(refusal::HASH_MISMATCH);
        };
        let max = self.settings().limits.max_upload_size;
        if max > 0 && size as u64 > max {
            refuse!(refusal::TOO_LARGE);
        }
        let (Some(unit_id), Some(unit_len)) = (parse_num(req.unit_id), parse_num(req.unit_size))
        else {
            refuse!(refusal::INVALID_UNIT_SIZE);
        };
        let Some(unit_hash) = req.unit_hash.map(str::trim).and_then(parse_hash) else {
            refuse!(refusal::INVALID_UNIT_HASH);
        };
        let hash_hex = hex::encode(hash);
        let name = req.filename.filter(|n| !n.is_empty());
        if name.is_some_and(|n| !valid_name(n)) {
            refuse!(refusal::MISSING_NAME);
        }
        let user_id = up.caller().user_id;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let existing =
            store::resumable_by_content(&mut c, user_id, up.filedrop_id(), &hash_hex, size)
                .await
                .map_err(db_err)?;
        drop(c);
        let session = match (existing, name) {
            (Some(s), _) => s,
            // No check opened it: a unit naming its file opens it (destination from the query).
            (None, Some(n)) => {
                if let Actor::Owner(caller) = &up {
                    self.live_folder_for_write(caller, Target::of(req.dest.folder_key, None))
                        .await?;
                }
                self.open_resumable(&up, &hash_hex, size, n, up.dest(req.dest))
                    .await?
            }
            (None, None) => refuse!(refusal::BEFORE_CHECK),
        };
        if session.state != store::RESUMABLE_RECEIVING {
            drain(body).await;
            return Ok(ResumableOutcome::Unit(
                self.resumable_state(&session).await?,
            ));
        }
        // Units wait on disk until assembly, so they count against the quota: the whole file
        // plus what the account's other unfinished uploads hold must fit (162, nothing kept).
        let user = self.user(user_id).await?;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let spooled = store::spooled_bytes(&mut c, user_id, session.id)
            .await
            .map_err(db_err)?;
        drop(c);
        if size > (user.quota_bytes - user.used_bytes - spooled).max(0) {
            drain(body).await;
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let expect = (size - unit_id.saturating_mul(session.unit_size)).min(session.unit_size);
        if unit_id >= session.number_of_units || unit_len != expect {
            refuse!(refusal::INVALID_UNIT_SIZE);
        }
        if let Err(code) = self
            .spool_unit(&session.upload_key, unit_id, expect, &unit_hash, body)
            .await?
        {
            return Ok(ResumableOutcome::Refused(code));
        }
        let mut c = self.db().acquire_writer().await.map_err(db_err)?;
        store::insert_unit(&mut c, session.id, unit_id, &hex::encode(unit_hash), expect)
            .await
            .map_err(db_err)?;
        let received = store::unit_ids(&mut c, session.id).await.map_err(db_err)?;
        let complete = received.len() as i64 >= session.number_of_units;
        let claimed = complete
            && store::set_resumable_state(
                &mut c,
                session.id,
                store::RESUMABLE_RECEIVING,
                store::RESUMABLE_ASSEMBLING,
                self.resumable_expiry(),
            )
            .await
            .map_err(db_err)?;
        drop(c);
        if claimed {
            let name = name.unwrap_or(&session.file_name).to_string();
            let on_duplicate = up.on_duplicate(req.on_duplicate);
            self.assemble(&up, &session, &name, on_duplicate, req.mtime_us)
                .await?;
        }
        let mut state = self.resumable_state(&session).await?;
        if complete {
            state.all_units_ready = true;
            state.received = (0..session.number_of_units).collect();
        } else {
            state.received = received;
        }
        Ok(ResumableOutcome::Unit(state))
    }

    /// Concatenates the units in one pass into a blob (hashing as it goes, verified against
    /// the session's hash and size), places the file, ends the key in status 99 and removes
    /// the unit files. Failures end the key with a fileerror.
    async fn assemble(
        &self,
        up: &Actor<'_>,
        s: &ResumableRow,
        name: &str,
        on_duplicate: UploadDuplicate,
        mtime_us: Option<i64>,
    ) -> Result<(), ApiError> {
        use tokio::io::AsyncReadExt as _;
        let caller = up.caller();
        let mut record = UploadRow {
            upload_key: s.upload_key.clone(),
            user_id: caller.user_id,
            folder_id: None,
            file_name: name.to_string(),
            size: s.size,
            hash: s.hash.clone(),
            status: STATUS_ASSEMBLING,
            fileerror: String::new(),
            quickkey: String::new(),
            revision: 0,
            created_us: now_us(),
            updated_us: now_us(),
        };
        {
            let mut c = self.db().acquire_writer().await.map_err(db_err)?;
            store::update_upload(&mut c, &record)
                .await
                .map_err(db_err)?;
        }
        let dir = self.unit_dir(&s.upload_key);
        let concat = async {
            let mut w = self.blobs().begin_write().await.map_err(internal)?;
            let mut buf = vec![0u8; 1 << 20];
            for id in 0..s.number_of_units {
                let mut f = tokio::fs::File::open(dir.join(id.to_string()))
                    .await
                    .map_err(internal)?;
                loop {
                    let n = f.read(&mut buf).await.map_err(internal)?;
                    if n == 0 {
                        break;
                    }
                    w.write(&buf[..n]).await.map_err(internal)?;
                }
            }
            let want = parse_hash(&s.hash);
            match w.finish(want, Some(s.size as u64)).await {
                Ok(id) => Ok(Some(id)),
                Err(StoreError::Mismatch(_)) => Ok(None),
                Err(e) => Err(internal(e)),
            }
        };
        let mut failure: Option<&'static str> = None;
        match concat.await {
            Ok(Some(_)) => {
                let dest = up.dest(Destination {
                    folder_key: s.folder_key.as_deref(),
                    path: s.path.as_deref(),
                });
                let placed = if name.is_empty() || !valid_name(name) {
                    Err(fileerror::UNKNOWN)
                } else {
                    match self.upload_folder(caller, dest, true).await {
                        Ok(Some(folder)) => {
                            record.folder_id = Some(folder.id);
                            self.place_upload(
                                caller,
                                &folder,
                                name,
                                &s.hash,
                                s.size,
                                on_duplicate,
                                mtime_us,
                                None,
                            )
                            .await
                            .map(|(placed, _)| placed)
                            .map_err(|e| fileerror_of(&e).unwrap_or(fileerror::UNKNOWN))
                        }
                        Ok(None) | Err(_) => Err(fileerror::PATH_FAILED),
                    }
                };
                match placed {
                    Ok(p) => record.fill_from(&p.file, up.sees_account()),
                    Err(code) => failure = Some(code),
                }
            }
            Ok(None) => failure = Some(fileerror::HASH_MISMATCH),
            Err(_) => failure = Some(fileerror::UNKNOWN),
        }
        if let Some(code) = failure {
            record.fileerror = code.to_string();
        }
        record.status = STATUS_DONE;
        record.updated_us = now_us();
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        store::update_upload(&mut tx, &record)
            .await
            .map_err(db_err)?;
        store::set_resumable_state(
            &mut tx,
            s.id,
            store::RESUMABLE_ASSEMBLING,
            store::RESUMABLE_DONE,
            self.resumable_expiry(),
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        self.remove_units(&s.upload_key).await;
        Ok(())
    }
}

/// The fileerror of a refused placement; anything unexpected stays an error.
fn fileerror_of(e: &ApiError) -> Result<&'static str, ApiError> {
    match e.code {
        codes::LIMIT_EXCEEDED => Ok(fileerror::STORAGE_LIMIT),
        codes::FILE_ALREADY_EXISTS => Ok(fileerror::DUPLICATE),
        codes::INVALID_FOLDERKEY | codes::CANT_MODIFY_DELETED_ITEMS => Ok(fileerror::NO_FOLDER),
        _ => Err(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::unit_size;

    #[test]
    fn unit_sizes_follow_the_table() {
        const MIB: i64 = 1024 * 1024;
        assert_eq!(unit_size(0), 4 * MIB);
        assert_eq!(unit_size(4 * MIB - 1), 4 * MIB);
        assert_eq!(unit_size(4 * MIB), MIB);
        assert_eq!(unit_size(16 * MIB), 2 * MIB);
        assert_eq!(unit_size(64 * MIB), 4 * MIB);
        assert_eq!(unit_size(1024 * MIB), 16 * MIB);
        assert_eq!(unit_size(16 * 1024 * MIB), 64 * MIB);
        assert_eq!(unit_size(1 << 50), 64 * MIB);
    }
}
