//! File metadata operations: create, update, move (and undelete), copy, delete, purge,
//! restore, versions. Content arrives through uploads (or `file/create`, empty); a file row
//! always holds one content reference for its head and one per kept earlier version.

use std::sync::Arc;

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::QuickKey;
use hearth_store::blob::{put_bytes, BlobStore};
use hearth_store::tree::{self, FileChange, FileRow, FolderRow, NewFile};
use hearth_store::uploads::UploadRow;
use hearth_store::Conn;

use crate::sessions::Caller;
use crate::tree::{extension, valid_name, NewRevision, OnDuplicate, Target, DELETED, LIVE};
use crate::uploads::FillFromFile as _;
use crate::{internal, now_us, Core};

fn db_err(e: hearth_store::StoreError) -> ApiError {
    internal(e)
}

/// Fields `file/update` may change.
#[derive(Default)]
pub struct FileUpdate<'a> {
    pub filename: Option<&'a str>,
    pub description: Option<&'a str>,
    pub privacy: Option<&'a str>,
    /// `Some("")` removes the password.
    pub password: Option<&'a str>,
    pub mtime_us: Option<i64>,
}

/// A file for [`Core::add_file`]'s transaction, owned so that it can wait in a write batch.
#[derive(Clone)]
struct FileToAdd {
    user_id: i64,
    folder_id: i64,
    name: String,
    hash: String,
    size: i64,
    on_duplicate: OnDuplicate,
    mtime_us: Option<i64>,
    /// The upload key's record to write with the file, and whether it shows the stored name.
    record: Option<(UploadRow, bool)>,
}

/// One entry of `file/get_versions`.
pub struct Version {
    pub revision: i64,
    pub created_us: i64,
    pub head: bool,
}

impl Core {
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        self.blob_store()
    }

    /// Adds a file whose content is already in the blob store (uploads, `file/create`).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_file(
        &self,
        user_id: i64,
        folder: Target<'_>,
        name: &str,
        hash: &str,
        size: i64,
        on_duplicate: OnDuplicate,
        mtime_us: Option<i64>,
    ) -> Result<(FileRow, Option<NewRevision>), ApiError> {
        if !valid_name(name) {
            return Err(ApiError::new(codes::INVALID_FILENAME));
        }
        let folder = self
            .live_folder_for_write(&Caller::owner(user_id), folder)
            .await?;
        let new = (name, hash, size, on_duplicate, mtime_us);
        self.add_file_recorded(user_id, &folder, new, None).await
    }

    /// [`Core::add_file`] into `folder`, a live folder of `user_id` the caller just resolved;
    /// with `record`, the upload key's final record (filled from the new file; `bool`: the
    /// uploader may see the stored name) is written in the same transaction.
    pub(crate) async fn add_file_recorded(
        &self,
        user_id: i64,
        folder: &FolderRow,
        (name, hash, size, on_duplicate, mtime_us): (&str, &str, i64, OnDuplicate, Option<i64>),
        record: Option<(UploadRow, bool)>,
    ) -> Result<(FileRow, Option<NewRevision>), ApiError> {
        if !valid_name(name) {
            return Err(ApiError::new(codes::INVALID_FILENAME));
        }
        let user = self.user(user_id).await?;
        if user.used_bytes + size > user.quota_bytes {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        // Batched with concurrent writers' transactions (small uploads from many clients).
        let core = self.clone();
        let new = FileToAdd {
            user_id,
            folder_id: folder.id,
            name: name.to_owned(),
            hash: hash.to_owned(),
            size,
            on_duplicate,
            mtime_us,
            record,
        };
        let added = self
            .db()
            .write_batched(move |c| {
                let (core, new) = (core.clone(), new.clone());
                Box::pin(async move { core.add_file_in(c, &new).await })
            })
            .await
            .map_err(db_err)?;
        self.db().forget_user(user_id);
        added
    }

    /// [`Core::add_file`]'s transaction, on `tx`.
    async fn add_file_in(
        &self,
        tx: &mut Conn,
        new: &FileToAdd,
    ) -> Result<(FileRow, Option<NewRevision>), ApiError> {
        let FileToAdd {
            user_id,
            folder_id,
            ref name,
            ref hash,
            size,
            on_duplicate,
            mtime_us,
            ref record,
        } = *new;
        let mut final_name = name.to_string();
        if let Some(existing) = tree::child_file_named(tx, folder_id, name)
            .await
            .map_err(db_err)?
        {
            match on_duplicate {
                OnDuplicate::Allow => {}
                OnDuplicate::Skip => return Ok((existing, None)),
                OnDuplicate::Refuse => return Err(ApiError::new(codes::FILE_ALREADY_EXISTS)),
                OnDuplicate::Keep => {
                    let mut n = 1;
                    loop {
                        let candidate = crate::tree::numbered(name, n, true);
                        if tree::child_file_named(tx, folder_id, &candidate)
                            .await
                            .map_err(db_err)?
                            .is_none()
                        {
                            final_name = candidate;
                            break;
                        }
                        n += 1;
                    }
                }
            }
        }
        let rev = tree::next_revision(tx, user_id).await.map_err(db_err)?;
        let now = now_us();
        tree::add_content_ref(tx, hash, size, now)
            .await
            .map_err(db_err)?;
        self.ensure_blob(hash).await?;
        let row = tree::insert_file(
            tx,
            &NewFile {
                user_id,
                quickkey: QuickKey::generate().as_str(),
                folder_id,
                name: &final_name,
                description: "",
                privacy: "private",
                password_hash: "",
                created_us: now,
                mtime_us: mtime_us.unwrap_or(now),
                revision: rev,
                trash_state: LIVE,
                hash,
                size,
            },
        )
        .await
        .map_err(db_err)?;
        tree::add_used_bytes(tx, user_id, size)
            .await
            .map_err(db_err)?;
        tree::update_folder(tx, folder_id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        if let Some((record, show_name)) = record {
            let mut record = record.clone();
            record.fill_from(&row, *show_name);
            record.updated_us = now;
            hearth_store::uploads::insert_upload(tx, &record)
                .await
                .map_err(db_err)?;
        }
        Ok((row, Some(rev)))
    }

    /// `file/create`: a new, empty file.
    pub async fn create_empty_file(
        &self,
        caller: &Caller,
        folder: Target<'_>,
        filename: Option<&str>,
        file_extension: Option<&str>,
        mtime_us: Option<i64>,
    ) -> Result<(FileRow, Option<NewRevision>), ApiError> {
        let ext = file_extension
            .map(|e| e.trim_start_matches('.'))
            .filter(|e| !e.is_empty());
        let base = filename.filter(|n| !n.is_empty()).unwrap_or("Untitled");
        let name = match ext {
            Some(e)
                if !base
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", e.to_ascii_lowercase())) =>
            {
                format!("{base}.{e}")
            }
            _ => base.to_string(),
        };
        let blob = put_bytes(self.blob_store().as_ref(), b"")
            .await
            .map_err(db_err)?;
        self.add_file(
            caller.user_id,
            folder,
            &name,
            &blob.to_hex(),
            0,
            OnDuplicate::Keep,
            mtime_us,
        )
        .await
    }

    /// `file/update`. Renaming to another extension is 106.
    pub async fn update_file(
        &self,
        caller: &Caller,
        key: Option<&str>,
        u: FileUpdate<'_>,
    ) -> Result<NewRevision, ApiError> {
        let f = self.file_for_write(caller, key, None).await?;
        if f.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let name = u.filename.filter(|n| !n.is_empty());
        if let Some(n) = name {
            if !valid_name(n) {
                return Err(ApiError::new(codes::INVALID_FILENAME));
            }
            if extension(n) != extension(&f.name) {
                return Err(ApiError::new(codes::CHANGE_EXTENSION));
            }
        }
        let privacy = crate::tree::parse_privacy(u.privacy)?;
        let password_hash = match u.password {
            None => None,
            Some("") => Some(String::new()),
            Some(p) => Some(self.hash_password(p).await?),
        };
        if name.is_none()
            && u.description.is_none()
            && privacy.is_none()
            && password_hash.is_none()
            && u.mtime_us.is_none()
        {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        tree::update_file(
            &mut tx,
            f.id,
            rev,
            &FileChange {
                name,
                description: u.description,
                privacy,
                password_hash: password_hash.as_deref(),
                mtime_us: u.mtime_us,
                ..Default::default()
            },
        )
        .await
        .map_err(db_err)?;
        if name.is_some() {
            tree::update_folder(&mut tx, f.folder_id, rev, &Default::default())
                .await
                .map_err(db_err)?;
        }
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `file/move`; a trashed file moved to a live folder leaves the trash.
    pub async fn move_files(
        &self,
        caller: &Caller,
        keys: &[&str],
        dest: Target<'_>,
    ) -> Result<NewRevision, ApiError> {
        let dest = self.live_folder_for_write(caller, dest).await?;
        let mut rows = Vec::new();
        for k in keys {
            rows.push(self.file_for_write(caller, Some(k), None).await?);
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        for f in rows {
            self.relocate(&mut tx, caller.user_id, &f, dest.id, rev)
                .await?;
        }
        tree::update_folder(&mut tx, dest.id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    async fn relocate(
        &self,
        tx: &mut Conn,
        user_id: i64,
        f: &FileRow,
        folder_id: i64,
        rev: i64,
    ) -> Result<(), ApiError> {
        tree::update_file(
            tx,
            f.id,
            rev,
            &FileChange {
                folder_id: Some(folder_id),
                trash_state: Some(LIVE),
                delete_us: Some(0),
                ..Default::default()
            },
        )
        .await
        .map_err(db_err)?;
        if f.trash_state != LIVE {
            tree::touch_trash(tx, user_id, rev).await.map_err(db_err)?;
        } else if f.folder_id != folder_id {
            tree::update_folder(tx, f.folder_id, rev, &Default::default())
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// `file/copy`: new files sharing the stored content. Returns the new quickkeys.
    pub async fn copy_files(
        &self,
        caller: &Caller,
        keys: &[&str],
        dest: Target<'_>,
    ) -> Result<(Vec<String>, NewRevision), ApiError> {
        let dest = self.live_folder_for_write(caller, dest).await?;
        let mut rows = Vec::new();
        for k in keys {
            let f = self.file_for_read(Some(caller), Some(k), None).await?;
            if f.row.trash_state != LIVE {
                return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
            }
            rows.push(f.row);
        }
        let user = self.user(caller.user_id).await?;
        let added: i64 = rows.iter().map(|f| f.size).sum();
        if user.used_bytes + added > user.quota_bytes {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        let now = now_us();
        let mut new_keys = Vec::new();
        for f in rows {
            tree::add_content_ref(&mut tx, &f.hash, f.size, now)
                .await
                .map_err(db_err)?;
            let copy = tree::insert_file(
                &mut tx,
                &NewFile {
                    user_id: caller.user_id,
                    quickkey: QuickKey::generate().as_str(),
                    folder_id: dest.id,
                    name: &f.name,
                    description: &f.description,
                    privacy: if f.user_id == caller.user_id {
                        &f.privacy
                    } else {
                        "private"
                    },
                    password_hash: if f.user_id == caller.user_id {
                        &f.password_hash
                    } else {
                        ""
                    },
                    created_us: now,
                    mtime_us: f.mtime_us,
                    revision: rev,
                    trash_state: LIVE,
                    hash: &f.hash,
                    size: f.size,
                },
            )
            .await
            .map_err(db_err)?;
            new_keys.push(copy.quickkey);
        }
        tree::add_used_bytes(&mut tx, caller.user_id, added)
            .await
            .map_err(db_err)?;
        tree::update_folder(&mut tx, dest.id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok((new_keys, rev))
    }

    /// `file/delete`: to the trash (210 when already there).
    pub async fn delete_files(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<NewRevision, ApiError> {
        let mut rows = Vec::new();
        for k in keys {
            let f = self.file_for_write(caller, Some(k), None).await?;
            if f.trash_state != LIVE {
                return Err(ApiError::new(codes::FILE_ALREADY_DELETED));
            }
            rows.push(f);
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        let now = now_us();
        for f in rows {
            tree::update_file(
                &mut tx,
                f.id,
                rev,
                &FileChange {
                    trash_state: Some(DELETED),
                    delete_us: Some(now),
                    ..Default::default()
                },
            )
            .await
            .map_err(db_err)?;
            tree::update_folder(&mut tx, f.folder_id, rev, &Default::default())
                .await
                .map_err(db_err)?;
        }
        tree::touch_trash(&mut tx, caller.user_id, rev)
            .await
            .map_err(db_err)?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `file/purge`: permanently, trashed or not.
    pub async fn purge_files(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<NewRevision, ApiError> {
        let mut rows: Vec<FileRow> = Vec::new();
        for k in keys {
            let f = self.file_for_write(caller, Some(k), None).await?;
            // A key listed twice is purged once (its references are released once).
            if !rows.iter().any(|r| r.id == f.id) {
                rows.push(f);
            }
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        for f in rows {
            self.purge_file_row(&mut tx, caller.user_id, &f, rev)
                .await?;
        }
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    pub(crate) async fn purge_file_row(
        &self,
        tx: &mut Conn,
        user_id: i64,
        f: &FileRow,
        rev: i64,
    ) -> Result<(), ApiError> {
        tree::release_content_ref(tx, &f.hash)
            .await
            .map_err(db_err)?;
        for v in tree::versions(tx, f.id).await.map_err(db_err)? {
            tree::release_content_ref(tx, &v.hash)
                .await
                .map_err(db_err)?;
        }
        let parent = crate::tree::tombstone_parent(tx, Some(f.folder_id), f.trash_state).await?;
        tree::insert_tombstone(tx, user_id, "file", &f.quickkey, &parent, rev)
            .await
            .map_err(db_err)?;
        tree::delete_file(tx, f.id).await.map_err(db_err)?;
        tree::add_used_bytes(tx, user_id, -f.size)
            .await
            .map_err(db_err)?;
        if f.trash_state == DELETED {
            tree::touch_trash(tx, user_id, rev).await.map_err(db_err)?;
        } else {
            tree::update_folder(tx, f.folder_id, rev, &Default::default())
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// `file/restore`: without `revision`, a trashed file returns to its folder (or the root
    /// when that folder is in the trash too); with `revision`, that earlier version becomes the
    /// newest (223 when there is no such version).
    pub async fn restore_file(
        &self,
        caller: &Caller,
        key: Option<&str>,
        revision: Option<&str>,
    ) -> Result<NewRevision, ApiError> {
        let f = self.file_for_write(caller, key, None).await?;
        let Some(revision) = revision.filter(|r| !r.is_empty()) else {
            if f.trash_state == LIVE {
                return Err(ApiError::new(codes::MISSING_PARAMS));
            }
            let original = {
                let mut c = self.db().acquire().await.map_err(db_err)?;
                tree::folder_by_id(&mut c, f.folder_id)
                    .await
                    .map_err(db_err)?
            };
            let dest = match original {
                Some(o) if o.trash_state == LIVE => o.id,
                _ => self.root_folder(caller.user_id).await?.id,
            };
            let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
            self.relocate(&mut tx, caller.user_id, &f, dest, rev)
                .await?;
            tree::update_folder(&mut tx, dest, rev, &Default::default())
                .await
                .map_err(db_err)?;
            self.commit_tree(tx, caller.user_id).await?;
            return Ok(rev);
        };
        if f.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let wanted: i64 = revision
            .parse()
            .map_err(|_| ApiError::new(codes::INVALID_REVISION))?;
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let versions = tree::versions(&mut tx, f.id).await.map_err(db_err)?;
        let Some(v) = versions.into_iter().find(|v| v.revision == wanted) else {
            return Err(ApiError::new(codes::INVALID_REVISION));
        };
        let rev = tree::next_revision(&mut tx, caller.user_id)
            .await
            .map_err(db_err)?;
        // The current head becomes an earlier version (its reference moves with it); the
        // restored version's row goes (its reference becomes the head's).
        tree::insert_version(&mut tx, f.id, f.revision, &f.hash, f.size, f.mtime_us)
            .await
            .map_err(db_err)?;
        tree::delete_version(&mut tx, v.id).await.map_err(db_err)?;
        tree::update_file(
            &mut tx,
            f.id,
            rev,
            &FileChange {
                hash: Some(&v.hash),
                size: Some(v.size),
                ..Default::default()
            },
        )
        .await
        .map_err(db_err)?;
        tree::add_used_bytes(&mut tx, caller.user_id, v.size - f.size)
            .await
            .map_err(db_err)?;
        tree::update_folder(&mut tx, f.folder_id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        self.prune_versions(&mut tx, caller.user_id, f.id).await?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// Keeps at most `previous_file_versions` earlier versions, releasing the rest.
    pub(crate) async fn prune_versions(
        &self,
        tx: &mut Conn,
        user_id: i64,
        file_id: i64,
    ) -> Result<(), ApiError> {
        let keep: usize = self
            .user_settings(user_id)
            .await?
            .iter()
            .find(|(n, _)| n == "previous_file_versions")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(5);
        for v in tree::versions(tx, file_id)
            .await
            .map_err(db_err)?
            .into_iter()
            .skip(keep)
        {
            tree::release_content_ref(tx, &v.hash)
                .await
                .map_err(db_err)?;
            tree::delete_version(tx, v.id).await.map_err(db_err)?;
        }
        Ok(())
    }

    /// Replaces a file's content with stored content `hash` (uploads and `file/update_file`):
    /// the old head becomes an earlier version.
    pub async fn replace_content(
        &self,
        caller: &Caller,
        f: &FileRow,
        hash: &str,
        size: i64,
    ) -> Result<NewRevision, ApiError> {
        if f.hash == hash {
            return Err(ApiError::new(codes::UPDATE_NO_CHANGE));
        }
        let user = self.user(caller.user_id).await?;
        if user.used_bytes - f.size + size > user.quota_bytes {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        let now = now_us();
        tree::add_content_ref(&mut tx, hash, size, now)
            .await
            .map_err(db_err)?;
        self.ensure_blob(hash).await?;
        tree::insert_version(&mut tx, f.id, f.revision, &f.hash, f.size, f.mtime_us)
            .await
            .map_err(db_err)?;
        tree::update_file(
            &mut tx,
            f.id,
            rev,
            &FileChange {
                hash: Some(hash),
                size: Some(size),
                mtime_us: Some(now),
                ..Default::default()
            },
        )
        .await
        .map_err(db_err)?;
        tree::add_used_bytes(&mut tx, caller.user_id, size - f.size)
            .await
            .map_err(db_err)?;
        tree::update_folder(&mut tx, f.folder_id, rev, &Default::default())
            .await
            .map_err(db_err)?;
        self.prune_versions(&mut tx, caller.user_id, f.id).await?;
        self.commit_tree(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `file/update_file`: the live file `to` gets the content of the live file `from` as its
    /// new head (see [`Core::replace_content`]: the old head becomes an earlier version, the same
    /// content is 238, over quota 162). Both must be the caller's (someone else's public file
    /// 114, anything else 110; in the trash 211); `from` is left as it is.
    pub async fn update_file_content(
        &self,
        caller: &Caller,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<NewRevision, ApiError> {
        let to = self.file_for_write(caller, to, None).await?;
        let from = self.file_for_write(caller, from, None).await?;
        if to.trash_state != LIVE || from.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        self.replace_content(caller, &to, &from.hash, from.size)
            .await
    }

    /// `file/get_versions`: the head first, then earlier versions, newest first.
    pub async fn file_versions(
        &self,
        caller: &Caller,
        key: Option<&str>,
    ) -> Result<Vec<Version>, ApiError> {
        let f = self.file_for_write(caller, key, None).await?;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let mut out = vec![Version {
            revision: f.revision,
            created_us: f.mtime_us,
            head: true,
        }];
        for v in tree::versions(&mut c, f.id).await.map_err(db_err)? {
            out.push(Version {
                revision: v.revision,
                created_us: v.created_us,
                head: false,
            });
        }
        Ok(out)
    }

    /// `file/recently_modified`: the caller's live files, most recently changed first.
    pub async fn recently_modified(
        &self,
        caller: &Caller,
        n: i64,
    ) -> Result<Vec<FileRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree::recently_modified(&mut c, caller.user_id, n)
            .await
            .map_err(db_err)
    }
}
