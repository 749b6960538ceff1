//! Uploads into a FileDrop (spec/file-extras.md §2): anyone holding a FileDrop's key may upload
//! into its folder with `upload/check`, `upload/simple` and `upload/resumable` (no session
//! needed); the file is the folder owner's and counts against the owner's quota.
//!
//! The uploader learns nothing about the account: `check` never reports a hash, a same-named
//! file or a folder key, `instant` never finds content (it answers as for an unknown hash), a
//! same name always gets a new unique name (`action_on_duplicate` is `keep` whatever was
//! asked: an uploader can neither overwrite nor probe the owner's files), and the poll answer
//! shows the name the uploader sent. Resumable sessions belong to the FileDrop, not to the
//! owner (see `hearth_store::filedrop_uploads`). A key never issued, one whose FileDrop was
//! turned off, or whose folder is in the trash, is 214 alike.

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::UploadKey;
use hearth_store::filedrop_uploads::{self as drops, DropSessionRow};
use hearth_store::links::FiledropRow;
use hearth_store::tree::{self as store_tree, FolderRow};
use hearth_store::uploads::{self as store, UploadRow};
use hearth_store::StoreError;

use super::{
    db_err, drain, fileerror, fileerror_of, parse_hash, parse_num, refusal, CheckRequest,
    CheckResult, Destination, ResumableOutcome, ResumableRequest, ResumableState, SimpleOutcome,
    SimpleRequest, UploadDuplicate, STATUS_ASSEMBLING, STATUS_DONE, STATUS_UNITS,
};
use crate::sessions::Caller;
use crate::tree::{valid_name, LIVE};
use crate::{internal, now_us, Core};

/// A usable FileDrop: its settings and folder, and its owner acting through the server.
pub struct DropTarget {
    pub drop: FiledropRow,
    pub folder: FolderRow,
    owner: Caller,
}

impl DropTarget {
    /// Where the file goes: the FileDrop's folder, and `path` below it.
    fn dest<'a>(&'a self, path: Option<&'a str>) -> Destination<'a> {
        Destination {
            folder_key: Some(&self.folder.folderkey),
            path: path.filter(|p| !p.is_empty()),
        }
    }
}

fn invalid_key() -> ApiError {
    ApiError::new(codes::INVALID_FILEDROP_KEY)
}

impl Core {
    /// The FileDrop behind an uploader's `filedrop_key`, usable now (its folder live); else 214.
    pub async fn filedrop_target(&self, key: &str) -> Result<DropTarget, ApiError> {
        let key = key.trim().to_ascii_lowercase();
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_key());
        }
        let drop = self.filedrop_by_key(&key).await?.ok_or_else(invalid_key)?;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let folder = store_tree::folder_by_id(&mut c, drop.folder_id)
            .await
            .map_err(db_err)?
            .filter(|f| f.trash_state == LIVE && f.user_id == drop.user_id)
            .ok_or_else(invalid_key)?;
        Ok(DropTarget {
            owner: Caller::owner(drop.user_id),
            drop,
            folder,
        })
    }

    /// `upload/check` with a `filedrop_key`: the name and hash are validated, the quota is the
    /// owner's (only `limit_exceeded` is meant to be shown), nothing else of the account is
    /// reported; `resumable=yes` opens (or joins) the FileDrop's session for (hash, size).
    pub async fn filedrop_check(
        &self,
        key: &str,
        req: CheckRequest<'_>,
    ) -> Result<CheckResult, ApiError> {
        let t = self.filedrop_target(key).await?;
        if req.filename.is_some_and(|n| !valid_name(n)) {
            return Err(ApiError::new(codes::INVALID_FILENAME));
        }
        let hash = match req.hash {
            Some(h) => Some(
                parse_hash(h)
                    .map(hex::encode)
                    .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?,
            ),
            None => None,
        };
        let user = self.user(t.drop.user_id).await?;
        let resumable = if req.resumable {
            if let Err(e) = self.cleanup_drop_sessions().await {
                tracing::warn!(error = ?e, "FileDrop session cleanup failed");
            }
            Some(match (&hash, req.size) {
                (Some(h), Some(s)) if s > 0 => {
                    let row = self
                        .open_drop_session(&t, h, s, req.filename.unwrap_or(""), req.dest.path)
                        .await?;
                    self.drop_session_state(&row).await?
                }
                _ => ResumableState::layout(req.size.unwrap_or(0)),
            })
        } else {
            None
        };
        Ok(CheckResult {
            hash_exists: false,
            in_folder: false,
            file_exists: false,
            different_hash: false,
            duplicate_quickkey: None,
            used_bytes: 0,
            quota_bytes: 0,
            limit_exceeded: user.used_bytes + req.size.unwrap_or(0) > user.quota_bytes,
            folder_key: None,
            resumable,
        })
    }

    /// `upload/instant` with a `filedrop_key`: never possible (answering from the owner's
    /// content would tell the uploader what the owner stores), so after the key and the name
    /// are checked it answers as for a hash the account does not hold: 129.
    pub async fn filedrop_instant(
        &self,
        key: &str,
        filename: Option<&str>,
    ) -> Result<(), ApiError> {
        self.filedrop_target(key).await?;
        match filename.filter(|n| !n.is_empty()) {
            Some(n) if valid_name(n) => Err(ApiError::new(codes::INVALID_PARAMS)),
            _ => Err(ApiError::new(codes::INVALID_FILENAME)),
        }
    }

    /// `upload/simple` with a `filedrop_key`: [`Core::upload_simple`] as the owner into the
    /// FileDrop's folder (and `path` below it), always under a new unique name.
    pub async fn filedrop_simple<S: super::ByteSource>(
        &self,
        key: &str,
        req: SimpleRequest<'_>,
        body: &mut S,
    ) -> Result<SimpleOutcome, ApiError> {
        let t = self.filedrop_target(key).await?;
        let asked = req.filename.map(str::to_string);
        let req = SimpleRequest {
            dest: t.dest(req.dest.path),
            on_duplicate: UploadDuplicate::Keep,
            ..req
        };
        let outcome = self.upload_simple(&t.owner, req, body).await?;
        if let (SimpleOutcome::Key(k), Some(name)) = (&outcome, asked) {
            self.show_asked_name(k, &name).await?;
        }
        Ok(outcome)
    }

    /// The poll answer of a FileDrop upload names the file as the uploader sent it, not the
    /// unique name it got (which would tell that a same-named file exists).
    async fn show_asked_name(&self, upload_key: &str, name: &str) -> Result<(), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        if let Some(mut u) = store::upload_by_key(&mut c, upload_key)
            .await
            .map_err(db_err)?
        {
            if u.file_name != name {
                u.file_name = name.to_string();
                store::update_upload(&mut c, &u).await.map_err(db_err)?;
            }
        }
        Ok(())
    }

    /// The session of (FileDrop, hash, size), opened if needed; a receiving one is re-targeted
    /// (name, path). A finished one is replaced by a new one, so that a check never tells an
    /// uploader that someone else already sent this content.
    async fn open_drop_session(
        &self,
        t: &DropTarget,
        hash: &str,
        size: i64,
        name: &str,
        path: Option<&str>,
    ) -> Result<DropSessionRow, ApiError> {
        let expires = self.resumable_expiry();
        let path = path.filter(|p| !p.is_empty());
        for _ in 0..3 {
            let mut c = self.db().acquire().await.map_err(db_err)?;
            if let Some(s) = drops::session_by_content(&mut c, t.drop.id, hash, size)
                .await
                .map_err(db_err)?
            {
                match s.state {
                    drops::RESUMABLE_RECEIVING => {
                        drops::retarget_session(&mut c, s.id, name, path, expires)
                            .await
                            .map_err(db_err)?;
                        return Ok(s);
                    }
                    drops::RESUMABLE_DONE => {
                        drops::delete_session(&mut c, s.id).await.map_err(db_err)?;
                        drop(c);
                        self.remove_units(&s.upload_key).await;
                        continue;
                    }
                    _ => return Ok(s),
                }
            }
            drop(c);
            let layout = ResumableState::layout(size);
            let row = DropSessionRow {
                id: 0,
                filedrop_id: t.drop.id,
                user_id: t.drop.user_id,
                hash: hash.to_string(),
                size,
                upload_key: UploadKey::generate().as_str().to_string(),
                file_name: name.to_string(),
                path: path.map(str::to_string),
                unit_size: layout.unit_size,
                number_of_units: layout.number_of_units,
                state: drops::RESUMABLE_RECEIVING,
                created_us: now_us(),
                expires_us: expires,
            };
            let mut tx = self.db().begin_write().await.map_err(db_err)?;
            if drops::insert_session(&mut tx, &row).await.map_err(db_err)? {
                store::insert_upload(
                    &mut tx,
                    &UploadRow {
                        upload_key: row.upload_key.clone(),
                        user_id: t.drop.user_id,
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
        }
        let mut c = self.db().acquire().await.map_err(db_err)?;
        drops::session_by_content(&mut c, t.drop.id, hash, size)
            .await
            .map_err(db_err)?
            .ok_or_else(|| ApiError::new(codes::INTERNAL))
    }

    async fn drop_session_state(&self, s: &DropSessionRow) -> Result<ResumableState, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let receiving = s.state == drops::RESUMABLE_RECEIVING;
        let received = if receiving {
            drops::unit_ids(&mut c, s.id).await.map_err(db_err)?
        } else {
            (0..s.number_of_units).collect()
        };
        Ok(ResumableState {
            upload_key: Some(s.upload_key.clone()),
            unit_size: s.unit_size,
            number_of_units: s.number_of_units,
            all_units_ready: !receiving || received.len() as i64 >= s.number_of_units,
            received,
        })
    }

    /// Removes FileDrop sessions past their expiry, with their unit files and unfinished keys.
    pub async fn cleanup_drop_sessions(&self) -> Result<u64, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let expired = drops::expired_sessions(&mut c, now_us(), 100)
            .await
            .map_err(db_err)?;
        drop(c);
        let mut n = 0;
        for s in expired {
            self.remove_units(&s.upload_key).await;
            let mut tx = self.db().begin_write().await.map_err(db_err)?;
            drops::delete_session(&mut tx, s.id).await.map_err(db_err)?;
            store::delete_unfinished_upload(&mut tx, &s.upload_key, STATUS_DONE)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(internal)?;
            n += 1;
        }
        Ok(n)
    }

    /// `upload/resumable` with a `filedrop_key`: one unit of the FileDrop's session for
    /// (`X-Filehash`, `X-Filesize`), verified and spooled like the owner's own units; the last
    /// one assembles the file into the FileDrop's folder. A file larger than the owner's free
    /// space is refused (162) before any unit is stored.
    pub async fn filedrop_resumable<S: super::ByteSource>(
        &self,
        key: &str,
        req: ResumableRequest<'_>,
        body: &mut S,
    ) -> Result<ResumableOutcome, ApiError> {
        macro_rules! refuse {
            ($code:expr) => {{
                drain(body).await;
                return Ok(ResumableOutcome::Refused($code));
            }};
        }
        let t = self.filedrop_target(key).await?;
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
        let name = req.filename.filter(|n| !n.is_empty());
        if name.is_some_and(|n| !valid_name(n)) {
            refuse!(refusal::MISSING_NAME);
        }
        let user = self.user(t.drop.user_id).await?;
        if size > (user.quota_bytes - user.used_bytes).max(0) {
            drain(body).await;
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let hash_hex = hex::encode(hash);
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let existing = drops::session_by_content(&mut c, t.drop.id, &hash_hex, size)
            .await
            .map_err(db_err)?;
        drop(c);
        let session = match (existing, name) {
            (Some(s), _) => s,
            // No check opened it: a unit naming its file opens it (path from the query).
            (None, Some(n)) => {
                self.open_drop_session(&t, &hash_hex, size, n, req.dest.path)
                    .await?
            }
            (None, None) => refuse!(refusal::BEFORE_CHECK),
        };
        if session.state != drops::RESUMABLE_RECEIVING {
            drain(body).await;
            return Ok(ResumableOutcome::Unit(
                self.drop_session_state(&session).await?,
            ));
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
        drops::insert_unit(&mut c, session.id, unit_id, &hex::encode(unit_hash), expect)
            .await
            .map_err(db_err)?;
        let received = drops::unit_ids(&mut c, session.id).await.map_err(db_err)?;
        let complete = received.len() as i64 >= session.number_of_units;
        let claimed = complete
            && drops::set_session_state(
                &mut c,
                session.id,
                drops::RESUMABLE_RECEIVING,
                drops::RESUMABLE_ASSEMBLING,
                self.resumable_expiry(),
            )
            .await
            .map_err(db_err)?;
        drop(c);
        if claimed {
            let name = name.unwrap_or(&session.file_name).to_string();
            self.assemble_drop(&t, &session, &name, req.mtime_us)
                .await?;
        }
        let mut state = self.drop_session_state(&session).await?;
        if complete {
            state.all_units_ready = true;
            state.received = (0..session.number_of_units).collect();
        } else {
            state.received = received;
        }
        Ok(ResumableOutcome::Unit(state))
    }

    /// Concatenates the units into a blob (verified against the session's hash and size),
    /// places the file as the owner (a new unique name when taken), ends the key in status 99
    /// (with a fileerror on failure) and removes the unit files.
    async fn assemble_drop(
        &self,
        t: &DropTarget,
        s: &DropSessionRow,
        name: &str,
        mtime_us: Option<i64>,
    ) -> Result<(), ApiError> {
        use tokio::io::AsyncReadExt as _;
        let mut record = UploadRow {
            upload_key: s.upload_key.clone(),
            user_id: t.drop.user_id,
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
            match w.finish(parse_hash(&s.hash), Some(s.size as u64)).await {
                Ok(_) => Ok(true),
                Err(StoreError::Mismatch(_)) => Ok(false),
                Err(e) => Err(internal(e)),
            }
        };
        let failure = match concat.await {
            Ok(true) if name.is_empty() || !valid_name(name) => Some(fileerror::UNKNOWN),
            Ok(true) => match self
                .upload_folder(&t.owner, t.dest(s.path.as_deref()), true)
                .await
            {
                Ok(Some(folder)) => {
                    record.folder_id = Some(folder.id);
                    match self
                        .place_upload(
                            &t.owner,
                            &folder,
                            name,
                            &s.hash,
                            s.size,
                            UploadDuplicate::Keep,
                            mtime_us,
                        )
                        .await
                    {
                        Ok(p) => {
                            record.quickkey = p.file.quickkey.clone();
                            record.revision = p.file.revision;
                            record.created_us = p.file.created_us;
                            None
                        }
                        Err(e) => Some(fileerror_of(&e).unwrap_or(fileerror::UNKNOWN)),
                    }
                }
                Ok(None) | Err(_) => Some(fileerror::PATH_FAILED),
            },
            Ok(false) => Some(fileerror::HASH_MISMATCH),
            Err(_) => Some(fileerror::UNKNOWN),
        };
        if let Some(code) = failure {
            record.fileerror = code.to_string();
        }
        record.status = STATUS_DONE;
        record.updated_us = now_us();
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        store::update_upload(&mut tx, &record)
            .await
            .map_err(db_err)?;
        drops::set_session_state(
            &mut tx,
            s.id,
            drops::RESUMABLE_ASSEMBLING,
            drops::RESUMABLE_DONE,
            self.resumable_expiry(),
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        self.remove_units(&s.upload_key).await;
        Ok(())
    }
}
