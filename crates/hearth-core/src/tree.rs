//! The resource tree: who may see and change which folder or file, names, depth, trash,
//! revisions and content references. Every mutation runs in one write transaction that takes
//! the owner's next device revision, stamps every touched item (and the folders whose direct
//! content changed) with it, and adjusts content references and used bytes.
//!
//! Privacy rule: for anyone but the owner, a private (or trashed) item answers exactly like a
//! key that was never issued (110 / 112), so keys reveal nothing.

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::{FolderKey, QuickKey};
use hearth_store::tree::{self, FileChange, FolderChange, NewFile, NewFolder};
pub use hearth_store::tree::{FileRow, FolderRow, Order, Page};
use hearth_store::{Conn as AnyConnection, PooledConn, StoreError, WriteTx};

use crate::sessions::Caller;
use crate::{internal, now_us, Core};

/// The root folder's key on the wire.
pub const ROOT_KEY: &str = "myfiles";
/// The trash pseudo-folder's key on the wire.
pub const TRASH_KEY: &str = "trash";

/// Live, deleted (top of a trashed subtree), inside a deleted folder.
pub const LIVE: i64 = 0;
pub const DELETED: i64 = 1;
pub const IN_DELETED: i64 = 2;

fn db_err(e: StoreError) -> ApiError {
    internal(e)
}

/// How a folder or file is named by a request: key, absolute path, or nothing (the root).
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    Root,
    Key(&'a str),
    Path(&'a str),
}

impl<'a> Target<'a> {
    /// The key wins over the path when both are given (common.md §5).
    pub fn of(key: Option<&'a str>, path: Option<&'a str>) -> Target<'a> {
        match (
            key.filter(|k| !k.is_empty()),
            path.filter(|p| !p.is_empty()),
        ) {
            (Some(k), _) if k == ROOT_KEY => Target::Root,
            (Some(k), _) => Target::Key(k),
            (None, Some(p)) => Target::Path(p),
            (None, None) => Target::Root,
        }
    }
}

/// What `action_on_duplicate` / `allow_duplicate_name` ask for when a name is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Create with the same name (MediaFire's default).
    Allow,
    /// Return the existing item.
    Skip,
    /// Create with a unique name, `Name (1)`.
    Keep,
    /// Refuse: 144 (folders) / 143 (files).
    Refuse,
}

impl OnDuplicate {
    pub fn parse(
        action: Option<&str>,
        allow_duplicate_name: Option<&str>,
    ) -> Result<OnDuplicate, ApiError> {
        match (
            action.filter(|a| !a.is_empty()),
            allow_duplicate_name.filter(|a| !a.is_empty()),
        ) {
            (Some("skip"), _) | (Some("replace"), _) => Ok(OnDuplicate::Skip),
            (Some("keep"), _) => Ok(OnDuplicate::Keep),
            (Some(_), _) => Err(ApiError::new(codes::INVALID_PARAMS)),
            (None, Some("no")) => Ok(OnDuplicate::Refuse),
            (None, Some("yes")) | (None, None) => Ok(OnDuplicate::Allow),
            (None, Some(_)) => Err(ApiError::new(codes::INVALID_PARAMS)),
        }
    }
}

/// Name rule (docs/api-quirks.md): 1–255 bytes of UTF-8, no `/`, no control character
/// U+0000–U+001F, not `.` or `..`, not only white space.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.trim().is_empty()
        && name != "."
        && name != ".."
        && !name.chars().any(|c| c == '/' || (c as u32) < 0x20)
}

fn folder_name(name: Option<&str>) -> Result<&str, ApiError> {
    match name {
        None | Some("") => Err(ApiError::new(codes::MISSING_FOLDERNAME)),
        Some(n) if valid_name(n) => Ok(n),
        Some(_) => Err(ApiError::new(codes::INVALID_FOLDERNAME)),
    }
}

/// The extension of a file name (after the last dot, not counting a leading dot), lower-cased.
pub fn extension(name: &str) -> String {
    match name.rfind('.') {
        Some(i) if i > 0 => name[i + 1..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// `Name (n)` for `keep`, preserving a file's extension.
pub(crate) fn numbered(name: &str, n: u32, is_file: bool) -> String {
    match name.rfind('.') {
        Some(i) if is_file && i > 0 => format!("{} ({n}){}", &name[..i], &name[i..]),
        _ => format!("{name} ({n})"),
    }
}

/// Parses `mtime` (ISO-8601 UTC like `2014-05-01T12:00:00Z`, or `YYYY-MM-DD HH:MM:SS`).
pub fn parse_mtime(value: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let iso = time::format_description::well_known::Rfc3339;
    let plain = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let at = time::OffsetDateTime::parse(v, &iso)
        .or_else(|_| time::PrimitiveDateTime::parse(v, plain).map(|p| p.assume_utc()))
        .map_err(|_| ApiError::new(codes::INVALID_DATE))?;
    Ok(Some((at.unix_timestamp_nanos() / 1000) as i64))
}

/// A changed privacy value: `public` or `private`, else 129.
pub fn parse_privacy(value: Option<&str>) -> Result<Option<&str>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v @ ("public" | "private")) => Ok(Some(v)),
        Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
    }
}

/// A folder as seen by a caller.
#[derive(Clone, Debug)]
pub struct FolderView {
    pub row: FolderRow,
    pub owner: bool,
}

/// A file as seen by a caller.
#[derive(Clone, Debug)]
pub struct FileView {
    pub row: FileRow,
    pub owner: bool,
    /// The key of its folder (`myfiles` for the root, `trash` when deleted).
    pub parent_key: String,
}

/// Result of a mutation: the device revision after it.
pub type NewRevision = i64;

impl Core {
    async fn conn(&self) -> Result<PooledConn, ApiError> {
        self.db().acquire().await.map_err(db_err)
    }

    async fn begin(&self) -> Result<WriteTx, ApiError> {
        self.db().begin_write().await.map_err(db_err)
    }

    /// Begins a mutation of `user_id`'s tree: a write transaction holding the account's next
    /// device revision, which every item the mutation touches is stamped with.
    pub(crate) async fn begin_revision(&self, user_id: i64) -> Result<(WriteTx, i64), ApiError> {
        let mut tx = self.begin().await?;
        let rev = tree::next_revision(&mut tx, user_id)
            .await
            .map_err(db_err)?;
        Ok((tx, rev))
    }

    /// Folders the caller owns, named by `keys`, none of them the root (114), each passing
    /// `check` (errors in key order).
    async fn owned_non_root_folders(
        &self,
        caller: &Caller,
        keys: &[&str],
        check: fn(&FolderRow) -> Result<(), ApiError>,
    ) -> Result<Vec<FolderRow>, ApiError> {
        let mut rows = Vec::new();
        for key in keys {
            let row = self
                .folder_for_write(caller, Target::of(Some(key), None))
                .await?;
            if row.is_root() {
                return Err(ApiError::new(codes::ACCESS_DENIED));
            }
            check(&row)?;
            rows.push(row);
        }
        Ok(rows)
    }

    /// Commits a mutation of `user_id`'s tree.
    pub(crate) async fn commit_tree(&self, tx: WriteTx, user_id: i64) -> Result<(), ApiError> {
        self.commit(tx, user_id).await
    }

    async fn commit(&self, tx: WriteTx, user_id: i64) -> Result<(), ApiError> {
        let r = tx.commit().await.map_err(internal);
        self.db().forget_user(user_id);
        r
    }

    /// The user's root folder, created on first use.
    pub async fn root_folder(&self, user_id: i64) -> Result<FolderRow, ApiError> {
        let mut c = self.conn().await?;
        if let Some(r) = tree::root_folder(&mut c, user_id).await.map_err(db_err)? {
            return Ok(r);
        }
        drop(c);
        let mut tx = self.begin().await?;
        if let Some(r) = tree::root_folder(&mut tx, user_id).await.map_err(db_err)? {
            return Ok(r);
        }
        let now = now_us();
        let root = tree::insert_folder(
            &mut tx,
            &NewFolder {
                user_id,
                folderkey: FolderKey::generate().as_str(),
                parent_id: None,
                name: ROOT_KEY,
                description: "",
                privacy: "private",
                created_us: now,
                mtime_us: now,
                revision: 0,
                trash_state: LIVE,
                depth: 0,
            },
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        Ok(root)
    }

    /// Resolves a folder for reading. Owners see their own folders (trash included); others
    /// see public, live folders; everything else is 112. No caller and the root: 104.
    pub async fn folder_for_read(
        &self,
        caller: Option<&Caller>,
        target: Target<'_>,
    ) -> Result<FolderView, ApiError> {
        let user = caller.map(|c| c.user_id);
        let row = match target {
            Target::Root => {
                let user = user.ok_or_else(|| ApiError::new(codes::MISSING_TOKEN))?;
                self.root_folder(user).await?
            }
            Target::Path(p) => {
                let user = user.ok_or_else(|| ApiError::new(codes::MISSING_TOKEN))?;
                self.folder_by_path(user, p).await?
            }
            Target::Key(k) => {
                let key =
                    FolderKey::parse(k).ok_or_else(|| ApiError::new(codes::INVALID_FOLDERKEY))?;
                let mut c = self.conn().await?;
                tree::folder_by_key(&mut c, key.as_str())
                    .await
                    .map_err(db_err)?
                    .ok_or_else(|| ApiError::new(codes::INVALID_FOLDERKEY))?
            }
        };
        let owner = Some(row.user_id) == user;
        if !owner && (row.privacy != "public" || row.trash_state != LIVE || row.is_root()) {
            return Err(ApiError::new(codes::INVALID_FOLDERKEY));
        }
        Ok(FolderView { row, owner })
    }

    /// Resolves a folder the caller owns, for a change. Someone else's public folder is 114;
    /// anything else not owned is 112, like a never-issued key.
    pub async fn folder_for_write(
        &self,
        caller: &Caller,
        target: Target<'_>,
    ) -> Result<FolderRow, ApiError> {
        let v = self.folder_for_read(Some(caller), target).await?;
        if !v.owner {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        Ok(v.row)
    }

    /// Like [`Core::folder_for_write`], and the folder must not be in the trash (211).
    pub async fn live_folder_for_write(
        &self,
        caller: &Caller,
        target: Target<'_>,
    ) -> Result<FolderRow, ApiError> {
        let row = self.folder_for_write(caller, target).await?;
        if row.trash_state != LIVE {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        Ok(row)
    }

    async fn folder_by_path(&self, user_id: i64, path: &str) -> Result<FolderRow, ApiError> {
        let mut folder = self.root_folder(user_id).await?;
        let mut c = self.conn().await?;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            folder = tree::child_folder_named(&mut c, folder.id, part)
                .await
                .map_err(db_err)?
                .ok_or_else(|| ApiError::new(codes::INVALID_FOLDERKEY))?;
        }
        Ok(folder)
    }

    /// Resolves a file for reading (owner: any state; others: public and live; else 110).
    pub async fn file_for_read(
        &self,
        caller: Option<&Caller>,
        key: Option<&str>,
        path: Option<&str>,
    ) -> Result<FileView, ApiError> {
        let user = caller.map(|c| c.user_id);
        let mut c = self.conn().await?;
        let row = match (
            key.filter(|k| !k.is_empty()),
            path.filter(|p| !p.is_empty()),
        ) {
            (Some(k), _) => {
                let key =
                    QuickKey::parse(k).ok_or_else(|| ApiError::new(codes::INVALID_QUICKKEY))?;
                tree::file_by_key(&mut c, key.as_str())
                    .await
                    .map_err(db_err)?
            }
            (None, Some(p)) => {
                let user = user.ok_or_else(|| ApiError::new(codes::MISSING_TOKEN))?;
                drop(c);
                let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
                let folder = self
                    .folder_by_path(user, dir)
                    .await
                    .map_err(|_| ApiError::new(codes::INVALID_QUICKKEY))?;
                c = self.conn().await?;
                tree::child_file_named(&mut c, folder.id, name)
                    .await
                    .map_err(db_err)?
            }
            (None, None) => return Err(ApiError::new(codes::MISSING_QUICKKEY)),
        }
        .ok_or_else(|| ApiError::new(codes::INVALID_QUICKKEY))?;
        let owner = Some(row.user_id) == user;
        if !owner && (row.privacy != "public" || row.trash_state != LIVE) {
            return Err(ApiError::new(codes::INVALID_QUICKKEY));
        }
        let parent_key = self.parent_key_of_file(&mut c, &row).await?;
        Ok(FileView {
            row,
            owner,
            parent_key,
        })
    }

    /// A file the caller owns (someone else's public file: 114; anything else: 110).
    pub async fn file_for_write(
        &self,
        caller: &Caller,
        key: Option<&str>,
        path: Option<&str>,
    ) -> Result<FileRow, ApiError> {
        let v = self.file_for_read(Some(caller), key, path).await?;
        if !v.owner {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        Ok(v.row)
    }

    async fn parent_key_of_file(
        &self,
        c: &mut AnyConnection,
        f: &FileRow,
    ) -> Result<String, ApiError> {
        if f.trash_state == DELETED {
            return Ok(TRASH_KEY.into());
        }
        let parent = tree::folder_by_id(c, f.folder_id).await.map_err(db_err)?;
        Ok(parent.map(|p| wire_key(&p)).unwrap_or_default())
    }

    /// The key of a folder's parent on the wire: `myfiles` for the root, `trash` when deleted,
    /// empty for the root itself.
    pub async fn parent_key_of_folder(&self, f: &FolderRow) -> Result<String, ApiError> {
        if f.trash_state == DELETED {
            return Ok(TRASH_KEY.into());
        }
        let Some(pid) = f.parent_id else {
            return Ok(String::new());
        };
        let mut c = self.conn().await?;
        let parent = tree::folder_by_id(&mut c, pid).await.map_err(db_err)?;
        Ok(parent.map(|p| wire_key(&p)).unwrap_or_default())
    }

    /// Live direct children counts: (folders, files).
    pub async fn child_counts(&self, folder_id: i64) -> Result<(i64, i64), ApiError> {
        let mut c = self.conn().await?;
        tree::count_children(&mut c, folder_id)
            .await
            .map_err(db_err)
    }

    /// Recursive live totals: (folders, files, bytes).
    pub async fn folder_totals(&self, folder_id: i64) -> Result<(i64, i64, i64), ApiError> {
        let mut c = self.conn().await?;
        tree::subtree_totals(&mut c, folder_id)
            .await
            .map_err(db_err)
    }

    /// Ancestors, root first (for folder/get_depth).
    pub async fn folder_ancestors(&self, folder_id: i64) -> Result<Vec<FolderRow>, ApiError> {
        let mut c = self.conn().await?;
        tree::ancestors(&mut c, folder_id).await.map_err(db_err)
    }

    /// One page of a folder's live children.
    pub async fn list_folders(
        &self,
        folder: &FolderView,
        page: &tree::Page,
    ) -> Result<Vec<FolderRow>, ApiError> {
        let mut c = self.conn().await?;
        tree::list_child_folders(self.db(), &mut c, folder.row.id, page)
            .await
            .map_err(db_err)
    }

    pub async fn list_files(
        &self,
        folder: &FolderView,
        page: &tree::Page,
    ) -> Result<Vec<FileRow>, ApiError> {
        let mut c = self.conn().await?;
        tree::list_child_files(self.db(), &mut c, folder.row.id, page)
            .await
            .map_err(db_err)
    }

    /// The owner's current device revision.
    pub async fn device_revision(&self, user_id: i64) -> Result<i64, ApiError> {
        Ok(self.user(user_id).await?.device_revision)
    }

    /// `folder/create`.
    pub async fn create_folder(
        &self,
        caller: &Caller,
        parent: Target<'_>,
        name: Option<&str>,
        on_duplicate: OnDuplicate,
        mtime_us: Option<i64>,
    ) -> Result<(FolderRow, Option<NewRevision>), ApiError> {
        let name = folder_name(name)?;
        let parent = self.live_folder_for_write(caller, parent).await?;
        let limit = self.settings().limits.folder_depth_limit as i64;
        if parent.depth + 1 > limit {
            return Err(ApiError::with_limit(
                codes::FOLDER_DEPTH_LIMIT,
                limit as u64,
            ));
        }
        let mut tx = self.begin().await?;
        let mut final_name = name.to_string();
        if let Some(existing) = tree::child_folder_named(&mut tx, parent.id, name)
            .await
            .map_err(db_err)?
        {
            match on_duplicate {
                OnDuplicate::Allow => {}
                OnDuplicate::Skip => return Ok((existing, None)),
                OnDuplicate::Refuse => return Err(ApiError::new(codes::FOLDER_ALREADY_EXISTS)),
                OnDuplicate::Keep => {
                    let mut n = 1;
                    loop {
                        let candidate = numbered(name, n, false);
                        if tree::child_folder_named(&mut tx, parent.id, &candidate)
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
        let rev = tree::next_revision(&mut tx, caller.user_id)
            .await
            .map_err(db_err)?;
        let now = now_us();
        let row = tree::insert_folder(
            &mut tx,
            &NewFolder {
                user_id: caller.user_id,
                folderkey: FolderKey::generate().as_str(),
                parent_id: Some(parent.id),
                name: &final_name,
                description: "",
                privacy: "private",
                created_us: now,
                mtime_us: mtime_us.unwrap_or(now),
                revision: rev,
                trash_state: LIVE,
                depth: parent.depth + 1,
            },
        )
        .await
        .map_err(db_err)?;
        touch_folder(&mut tx, &parent, rev).await?;
        self.commit(tx, caller.user_id).await?;
        Ok((row, Some(rev)))
    }

    /// `folder/update`: name, description, privacy (optionally recursive), mtime.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_folder(
        &self,
        caller: &Caller,
        target: Target<'_>,
        name: Option<&str>,
        description: Option<&str>,
        privacy: Option<&str>,
        privacy_recursive: bool,
        mtime_us: Option<i64>,
    ) -> Result<NewRevision, ApiError> {
        let folder = self.live_folder_for_write(caller, target).await?;
        let name = match name.filter(|n| !n.is_empty()) {
            Some(n) => Some(folder_name(Some(n))?),
            None => None,
        };
        let privacy = parse_privacy(privacy)?;
        if folder.is_root() && name.is_some() {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        if name.is_none() && description.is_none() && privacy.is_none() && mtime_us.is_none() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        tree::update_folder(
            &mut tx,
            folder.id,
            rev,
            &FolderChange {
                name,
                description,
                privacy,
                mtime_us,
                ..Default::default()
            },
        )
        .await
        .map_err(db_err)?;
        if let (Some(p), true) = (privacy, privacy_recursive) {
            for f in tree::subtree_folders(&mut tx, folder.id)
                .await
                .map_err(db_err)?
            {
                if f.id != folder.id && f.trash_state == LIVE {
                    tree::update_folder(
                        &mut tx,
                        f.id,
                        rev,
                        &FolderChange {
                            privacy: Some(p),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(db_err)?;
                }
            }
            for f in tree::subtree_files(&mut tx, folder.id)
                .await
                .map_err(db_err)?
            {
                if f.trash_state == LIVE {
                    tree::update_file(
                        &mut tx,
                        f.id,
                        rev,
                        &FileChange {
                            privacy: Some(p),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(db_err)?;
                }
            }
        }
        if name.is_some() {
            if let Some(pid) = folder.parent_id {
                touch_folder_id(&mut tx, pid, rev).await?;
            }
        }
        self.commit(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `folder/move` (also the undelete of a trashed folder).
    pub async fn move_folders(
        &self,
        caller: &Caller,
        sources: &[&str],
        dest: Target<'_>,
    ) -> Result<NewRevision, ApiError> {
        let dest = self.live_folder_for_write(caller, dest).await?;
        let mut rows = Vec::new();
        for key in sources {
            let row = self
                .folder_for_write(caller, Target::of(Some(key), None))
                .await?;
            if row.is_root() {
                return Err(ApiError::new(codes::FOLDER_PATH_CONFLICT));
            }
            rows.push(row);
        }
        let limit = self.settings().limits.folder_depth_limit as i64;
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        for row in rows {
            // Re-read: an earlier folder of the list may have carried this one along (depth).
            let row = tree::folder_by_id(&mut tx, row.id)
                .await
                .map_err(db_err)?
                .unwrap_or(row);
            // Into itself or below itself: 115.
            let dest_line = tree::ancestors(&mut tx, dest.id).await.map_err(db_err)?;
            if dest.id == row.id || dest_line.iter().any(|a| a.id == row.id) {
                return Err(ApiError::new(codes::FOLDER_PATH_CONFLICT));
            }
            let height = tree::subtree_height(&mut tx, row.id)
                .await
                .map_err(db_err)?;
            if dest.depth + 1 + height > limit {
                return Err(ApiError::with_limit(
                    codes::FOLDER_DEPTH_LIMIT,
                    limit as u64,
                ));
            }
            if reparent_folder(&mut tx, caller.user_id, &row, &dest, rev).await? {
                tree::set_state_below(&mut tx, row.id, LIVE, rev)
                    .await
                    .map_err(db_err)?;
            }
            if let Some(old) = row.parent_id {
                touch_folder_id(&mut tx, old, rev).await?;
            }
        }
        touch_folder(&mut tx, &dest, rev).await?;
        self.commit(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `folder/delete`: to the trash, with the subtree.
    pub async fn delete_folders(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<NewRevision, ApiError> {
        let rows = self
            .owned_non_root_folders(caller, keys, |r| match r.trash_state {
                LIVE => Ok(()),
                _ => Err(ApiError::new(codes::FOLDER_ALREADY_DELETED)),
            })
            .await?;
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        let now = now_us();
        for row in rows {
            tree::update_folder(
                &mut tx,
                row.id,
                rev,
                &FolderChange {
                    trash_state: Some(DELETED),
                    delete_us: Some(now),
                    ..Default::default()
                },
            )
            .await
            .map_err(db_err)?;
            tree::set_state_below(&mut tx, row.id, IN_DELETED, rev)
                .await
                .map_err(db_err)?;
            if let Some(p) = row.parent_id {
                touch_folder_id(&mut tx, p, rev).await?;
            }
        }
        tree::touch_trash(&mut tx, caller.user_id, rev)
            .await
            .map_err(db_err)?;
        self.commit(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// `folder/purge`: permanently, with the owned subtree; trashed or not.
    pub async fn purge_folders(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<NewRevision, ApiError> {
        let rows = self
            .owned_non_root_folders(caller, keys, |_| Ok(()))
            .await?;
        let root = self.root_folder(caller.user_id).await?;
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        for row in rows {
            let was_trashed = row.trash_state != LIVE;
            self.purge_subtree(&mut tx, caller.user_id, &row, &root, rev)
                .await?;
            if was_trashed {
                tree::touch_trash(&mut tx, caller.user_id, rev)
                    .await
                    .map_err(db_err)?;
            } else if let Some(p) = row.parent_id {
                touch_folder_id(&mut tx, p, rev).await?;
            }
        }
        self.commit(tx, caller.user_id).await?;
        Ok(rev)
    }

    /// Deletes a folder's owned subtree for good: content references, used bytes, tombstones;
    /// items deleted on their own below it move to the root (still in the trash).
    pub(crate) async fn purge_subtree(
        &self,
        tx: &mut AnyConnection,
        user_id: i64,
        row: &FolderRow,
        root: &FolderRow,
        rev: i64,
    ) -> Result<(), ApiError> {
        let (folders, files) = tree::owned_subtree(tx, row.id).await.map_err(db_err)?;
        let folder_ids: Vec<i64> = folders.iter().map(|f| f.id).collect();
        let (lone_folders, lone_files) = tree::separately_trashed_children(tx, &folder_ids)
            .await
            .map_err(db_err)?;
        for f in lone_folders {
            tree::update_folder(
                tx,
                f.id,
                rev,
                &FolderChange {
                    parent_id: Some(root.id),
                    depth: Some(1),
                    ..Default::default()
                },
            )
            .await
            .map_err(db_err)?;
            tree::shift_depth_below(tx, f.id, 1 - f.depth)
                .await
                .map_err(db_err)?;
        }
        for f in lone_files {
            tree::update_file(
                tx,
                f.id,
                rev,
                &FileChange {
                    folder_id: Some(root.id),
                    ..Default::default()
                },
            )
            .await
            .map_err(db_err)?;
        }
        let mut freed = 0;
        for f in &files {
            self.release_file_content(tx, f).await?;
            freed += f.size;
            let parent = tombstone_parent(tx, Some(f.folder_id), f.trash_state).await?;
            tree::insert_tombstone(tx, user_id, "file", &f.quickkey, &parent, rev)
                .await
                .map_err(db_err)?;
        }
        for f in &folders {
            let parent = tombstone_parent(tx, f.parent_id, f.trash_state).await?;
            tree::insert_tombstone(tx, user_id, "folder", &f.folderkey, &parent, rev)
                .await
                .map_err(db_err)?;
        }
        let file_ids: Vec<i64> = files.iter().map(|f| f.id).collect();
        tree::delete_owned_subtree(tx, &folder_ids, &file_ids)
            .await
            .map_err(db_err)?;
        tree::add_used_bytes(tx, user_id, -freed)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Releases the content references of a file and of its earlier versions.
    async fn release_file_content(
        &self,
        tx: &mut AnyConnection,
        f: &FileRow,
    ) -> Result<(), ApiError> {
        tree::release_content_ref(tx, &f.hash)
            .await
            .map_err(db_err)?;
        for v in tree::versions(tx, f.id).await.map_err(db_err)? {
            tree::release_content_ref(tx, &v.hash)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// `folder/copy`: copies of the folders (live content only) into `dest`; files share the
    /// stored content (a reference more, no byte copy). Returns the new keys.
    pub async fn copy_folders(
        &self,
        caller: &Caller,
        sources: &[&str],
        dest: Target<'_>,
    ) -> Result<(Vec<String>, NewRevision), ApiError> {
        let dest = self.live_folder_for_write(caller, dest).await?;
        let mut rows = Vec::new();
        for key in sources {
            let row = self
                .folder_for_write(caller, Target::of(Some(key), None))
                .await?;
            if row.trash_state != LIVE {
                return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
            }
            rows.push(row);
        }
        let limits = &self.settings().limits;
        let user = self.user(caller.user_id).await?;
        let (mut tx, rev) = self.begin_revision(caller.user_id).await?;
        let now = now_us();
        let mut new_keys = Vec::new();
        let mut added_bytes = 0i64;
        for row in rows {
            let (folders, files) = copy_source(&mut tx, &row, &dest, limits).await?;
            // Old folder id → new folder (id, depth); parents come before children.
            let mut map = std::collections::HashMap::new();
            for f in &folders {
                let (parent_id, depth) = if f.id == row.id {
                    (dest.id, dest.depth + 1)
                } else {
                    match f.parent_id.and_then(|p| map.get(&p).copied()) {
                        Some((pid, pdepth)) => (pid, pdepth + 1),
                        // Below a trashed folder: not copied.
                        None => continue,
                    }
                };
                let copy = tree::insert_folder(
                    &mut tx,
                    &NewFolder {
                        user_id: caller.user_id,
                        folderkey: FolderKey::generate().as_str(),
                        parent_id: Some(parent_id),
                        name: &f.name,
                        description: &f.description,
                        privacy: &f.privacy,
                        created_us: now,
                        mtime_us: f.mtime_us,
                        revision: rev,
                        trash_state: LIVE,
                        depth,
                    },
                )
                .await
                .map_err(db_err)?;
                if f.id == row.id {
                    new_keys.push(copy.folderkey.clone());
                }
                map.insert(f.id, (copy.id, depth));
            }
            for f in &files {
                let Some((folder_id, _)) = map.get(&f.folder_id).copied() else {
                    continue;
                };
                self.insert_file_copy(&mut tx, caller.user_id, f, folder_id, &f.name, rev, now)
                    .await?;
                added_bytes += f.size;
            }
        }
        if user.used_bytes + added_bytes > user.quota_bytes {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        tree::add_used_bytes(&mut tx, caller.user_id, added_bytes)
            .await
            .map_err(db_err)?;
        touch_folder(&mut tx, &dest, rev).await?;
        self.commit(tx, caller.user_id).await?;
        Ok((new_keys, rev))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_file_copy(
        &self,
        tx: &mut AnyConnection,
        user_id: i64,
        f: &FileRow,
        folder_id: i64,
        name: &str,
        rev: i64,
        now: i64,
    ) -> Result<FileRow, ApiError> {
        tree::add_content_ref(tx, &f.hash, f.size, now)
            .await
            .map_err(db_err)?;
        tree::insert_file(
            tx,
            &NewFile {
                user_id,
                quickkey: QuickKey::generate().as_str(),
                folder_id,
                name,
                description: &f.description,
                privacy: &f.privacy,
                password_hash: &f.password_hash,
                created_us: now,
                mtime_us: f.mtime_us,
                revision: rev,
                trash_state: LIVE,
                hash: &f.hash,
                size: f.size,
            },
        )
        .await
        .map_err(db_err)
    }
}

/// The live content a copy of `row` into `dest` takes, after the checks every copy makes: not
/// into itself or below (115), at most `max_objects` items (207), not deeper than the depth limit
/// (167). Folders come parents first.
pub(crate) async fn copy_source(
    tx: &mut AnyConnection,
    row: &FolderRow,
    dest: &FolderRow,
    limits: &crate::Limits,
) -> Result<(Vec<FolderRow>, Vec<FileRow>), ApiError> {
    let dest_line = tree::ancestors(tx, dest.id).await.map_err(db_err)?;
    if dest.id == row.id || dest_line.iter().any(|a| a.id == row.id) {
        return Err(ApiError::new(codes::FOLDER_PATH_CONFLICT));
    }
    let folders: Vec<FolderRow> = tree::subtree_folders(tx, row.id)
        .await
        .map_err(db_err)?
        .into_iter()
        .filter(|f| f.trash_state == LIVE)
        .collect();
    let files: Vec<FileRow> = tree::subtree_files(tx, row.id)
        .await
        .map_err(db_err)?
        .into_iter()
        .filter(|f| f.trash_state == LIVE)
        .collect();
    if (folders.len() + files.len()) as u64 > limits.max_objects {
        return Err(ApiError::with_limit(
            codes::COPY_LIMIT_EXCEEDED,
            limits.max_objects,
        ));
    }
    let height = folders.iter().map(|f| f.depth).max().unwrap_or(row.depth) - row.depth;
    if dest.depth + 1 + height > limits.folder_depth_limit as i64 {
        return Err(ApiError::with_limit(
            codes::FOLDER_DEPTH_LIMIT,
            limits.folder_depth_limit,
        ));
    }
    Ok((folders, files))
}

/// Stamps a folder whose direct content changed.
async fn touch_folder(tx: &mut AnyConnection, f: &FolderRow, rev: i64) -> Result<(), ApiError> {
    touch_folder_id(tx, f.id, rev).await
}

/// Moves folder `row` under `dest` at revision `rev`, live again if it was in the trash (the
/// trash pseudo-folder changes then); the depths below follow. Returns whether it came out of
/// the trash (the caller decides what happens to the items below: at once, or step by step
/// in a job). Callers check first that `dest` is not `row` nor below it.
pub(crate) async fn reparent_folder(
    tx: &mut AnyConnection,
    user_id: i64,
    row: &FolderRow,
    dest: &FolderRow,
    rev: i64,
) -> Result<bool, ApiError> {
    let restoring = row.trash_state != LIVE;
    tree::update_folder(
        tx,
        row.id,
        rev,
        &FolderChange {
            parent_id: Some(dest.id),
            depth: Some(dest.depth + 1),
            trash_state: Some(LIVE),
            delete_us: Some(0),
            ..Default::default()
        },
    )
    .await
    .map_err(db_err)?;
    tree::shift_depth_below(tx, row.id, dest.depth + 1 - row.depth)
        .await
        .map_err(db_err)?;
    if restoring {
        tree::touch_trash(tx, user_id, rev).await.map_err(db_err)?;
    }
    Ok(restoring)
}

async fn touch_folder_id(tx: &mut AnyConnection, id: i64, rev: i64) -> Result<(), ApiError> {
    tree::update_folder(tx, id, rev, &FolderChange::default())
        .await
        .map_err(db_err)
}

/// The `parent_folderkey` a purged item's tombstone reports, as device/get_changes reports
/// live items: `trash` for an item deleted on its own, empty for the root, else the folder key.
pub(crate) async fn tombstone_parent(
    tx: &mut AnyConnection,
    parent_id: Option<i64>,
    trash_state: i64,
) -> Result<String, ApiError> {
    if trash_state == DELETED {
        return Ok(TRASH_KEY.into());
    }
    let Some(pid) = parent_id else {
        return Ok(String::new());
    };
    Ok(match tree::folder_by_id(tx, pid).await.map_err(db_err)? {
        Some(p) if !p.is_root() => p.folderkey,
        _ => String::new(),
    })
}

/// A folder's key on the wire (`myfiles` for the root).
pub fn wire_key(f: &FolderRow) -> String {
    if f.is_root() {
        ROOT_KEY.to_string()
    } else {
        f.folderkey.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "My Photos", "ünïcödé ✓", "a.b.c", "...", " x"] {
            assert!(valid_name(ok), "{ok:?}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "tab\there",
            "nul\0",
            " ",
            &"x".repeat(256),
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(valid_name(&"é".repeat(127)), "254 bytes");
        assert!(!valid_name(&"é".repeat(128)), "256 bytes");
    }

    #[test]
    fn numbering_keeps_the_extension() {
        assert_eq!(numbered("a.txt", 1, true), "a (1).txt");
        assert_eq!(numbered("a.txt", 2, false), "a.txt (2)");
        assert_eq!(numbered(".bashrc", 1, true), ".bashrc (1)");
        assert_eq!(extension("A.TXT"), "txt");
        assert_eq!(extension(".bashrc"), "");
    }

    #[test]
    fn duplicates_and_dates() {
        assert_eq!(
            OnDuplicate::parse(Some("skip"), None).unwrap(),
            OnDuplicate::Skip
        );
        assert_eq!(
            OnDuplicate::parse(None, Some("no")).unwrap(),
            OnDuplicate::Refuse
        );
        assert_eq!(OnDuplicate::parse(None, None).unwrap(), OnDuplicate::Allow);
        assert!(OnDuplicate::parse(Some("maybe"), None).is_err());
        assert_eq!(
            parse_mtime(Some("2014-05-01T12:00:00Z")).unwrap(),
            Some(1_398_945_600_000_000)
        );
        assert_eq!(
            parse_mtime(Some("2014-05-01 12:00:00")).unwrap(),
            Some(1_398_945_600_000_000)
        );
        assert_eq!(
            parse_mtime(Some("yesterday")).unwrap_err().code,
            codes::INVALID_DATE
        );
    }
}
