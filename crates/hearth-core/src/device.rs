//! The change log and the trash as `device/*` shows them (device 0, the cloud, only).
//!
//! There is no separate log: every live or trashed item carries the revision of its latest
//! change, purged items leave tombstones, and the trash pseudo-folder's revision is kept on the
//! account. device/get_changes reads those within a window of revisions.

use hearth_api::errors::{codes, ApiError};
use hearth_store::tree::{self, FileRow, FolderRow};

use crate::sessions::Caller;
use crate::tree::{wire_key, NewRevision, DELETED, TRASH_KEY};
use crate::{internal, Core};

fn db_err(e: hearth_store::StoreError) -> ApiError {
    internal(e)
}

/// Changes in one window of device/get_changes.
pub struct Changes {
    pub device_revision: i64,
    pub updated_folders: Vec<(FolderRow, String)>,
    pub updated_files: Vec<(FileRow, String)>,
    /// The trash pseudo-folder changed in the window, at this revision.
    pub trash_revision: Option<i64>,
    /// (kind, key, parent key, revision)
    pub deleted: Vec<tree::Tombstone>,
}

/// `(revision, upper]` with `upper = (floor((revision + 1) / block) + 1) * block`, capped at the
/// current revision (spec/device.md: what the C++ SDK's loop assumes).
pub fn window(revision: i64, block: i64, current: i64) -> (i64, i64) {
    // Saturating: a client may send any revision up to i64::MAX.
    let upper = (revision.saturating_add(1) / block)
        .saturating_add(1)
        .saturating_mul(block);
    (revision, upper.min(current))
}

impl Core {
    pub fn check_device(device_id: Option<&str>) -> Result<(), ApiError> {
        match device_id.filter(|d| !d.is_empty()) {
            None | Some("0") => Ok(()),
            Some(d) if d.parse::<i64>().is_ok() => Err(ApiError::new(codes::UNKNOWN_DEVICE)),
            Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
        }
    }

    /// `device/get_changes` for the cloud device.
    pub async fn changes(
        &self,
        caller: &Caller,
        revision: Option<&str>,
    ) -> Result<Changes, ApiError> {
        let since: i64 = match revision.filter(|r| !r.is_empty()) {
            None => return Err(ApiError::new(codes::MISSING_PARAMS)),
            Some(r) => r
                .parse()
                .ok()
                .filter(|r: &i64| *r >= 0)
                .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?,
        };
        let user = self.user(caller.user_id).await?;
        let block = self.settings().limits.device_changes_list_limit as i64;
        let (lo, hi) = window(since, block.max(1), user.device_revision);
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let mut out = Changes {
            device_revision: user.device_revision,
            updated_folders: Vec::new(),
            updated_files: Vec::new(),
            trash_revision: None,
            deleted: Vec::new(),
        };
        if lo >= hi {
            return Ok(out);
        }
        let mut parents = std::collections::HashMap::new();
        for f in tree::folders_changed(&mut c, user.id, lo, hi)
            .await
            .map_err(db_err)?
        {
            let parent = self
                .wire_parent(&mut c, f.parent_id, f.trash_state, &mut parents)
                .await?;
            out.updated_folders.push((f, parent));
        }
        for f in tree::files_changed(&mut c, user.id, lo, hi)
            .await
            .map_err(db_err)?
        {
            let parent = self
                .wire_parent(&mut c, Some(f.folder_id), f.trash_state, &mut parents)
                .await?;
            out.updated_files.push((f, parent));
        }
        let trash = tree::trash_revision(&mut c, user.id)
            .await
            .map_err(db_err)?;
        if trash > lo && trash <= hi {
            out.trash_revision = Some(trash);
        }
        out.deleted = tree::tombstones_between(&mut c, user.id, lo, hi)
            .await
            .map_err(db_err)?;
        Ok(out)
    }

    /// The parent key as get_changes reports it: empty for the root, `trash` when deleted.
    async fn wire_parent(
        &self,
        c: &mut hearth_store::Conn,
        parent_id: Option<i64>,
        trash_state: i64,
        cache: &mut std::collections::HashMap<i64, String>,
    ) -> Result<String, ApiError> {
        if trash_state == DELETED {
            return Ok(TRASH_KEY.into());
        }
        let Some(pid) = parent_id else {
            return Ok(String::new());
        };
        if let Some(k) = cache.get(&pid) {
            return Ok(k.clone());
        }
        let key = match tree::folder_by_id(c, pid).await.map_err(db_err)? {
            Some(p) if p.is_root() => String::new(),
            Some(p) => wire_key(&p),
            None => String::new(),
        };
        cache.insert(pid, key.clone());
        Ok(key)
    }

    /// `device/get_trash`: the top-level items of the trash, one chunk.
    pub async fn trash(
        &self,
        caller: &Caller,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<FolderRow>, Vec<FileRow>), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let folders = tree::trash_folders(&mut c, caller.user_id, offset, limit)
            .await
            .map_err(db_err)?;
        let files = tree::trash_files(&mut c, caller.user_id, offset, limit)
            .await
            .map_err(db_err)?;
        Ok((folders, files))
    }

    /// `device/empty_trash`: purges every item in the trash.
    pub async fn empty_trash(&self, caller: &Caller) -> Result<NewRevision, ApiError> {
        let (folders, files) = {
            let mut c = self.db().acquire().await.map_err(db_err)?;
            (
                tree::trash_folders(&mut c, caller.user_id, 0, i64::MAX)
                    .await
                    .map_err(db_err)?,
                tree::trash_files(&mut c, caller.user_id, 0, i64::MAX)
                    .await
                    .map_err(db_err)?,
            )
        };
        let keys: Vec<&str> = folders.iter().map(|f| f.folderkey.as_str()).collect();
        let mut rev = None;
        if !keys.is_empty() {
            rev = Some(self.purge_folders(caller, &keys).await?);
        }
        let keys: Vec<&str> = files.iter().map(|f| f.quickkey.as_str()).collect();
        if !keys.is_empty() {
            rev = Some(self.purge_files(caller, &keys).await?);
        }
        match rev {
            Some(r) => Ok(r),
            None => self.device_revision(caller.user_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows() {
        assert_eq!(super::window(1211, 500, 9999), (1211, 1500));
        assert_eq!(super::window(0, 500, 7), (0, 7));
        assert_eq!(super::window(499, 500, 9999), (499, 1000));
        assert_eq!(super::window(500, 500, 9999), (500, 1000));
        assert_eq!(super::window(10, 500, 10), (10, 10));
        assert_eq!(super::window(i64::MAX, 500, 10), (i64::MAX, 10));
    }
}
