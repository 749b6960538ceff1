//! Uploads into a FileDrop (spec/file-extras.md §2): anyone holding a FileDrop's key may upload
//! into its folder with `upload/check`, `upload/simple` and `upload/resumable` (no session
//! needed); the file is the folder owner's and counts against the owner's quota. Those calls
//! run the owner's own code paths in `uploads.rs` for an [`Uploader::FileDrop`]; this module
//! resolves the key and says what differs for such an uploader ([`Actor`]).
//!
//! The uploader learns nothing about the account: `check` never reports a hash, a same-named
//! file or a folder key, `instant` never finds content (it answers as for an unknown hash), a
//! same name always gets a new unique name (`action_on_duplicate` is `keep` whatever was
//! asked: an uploader can neither overwrite nor probe the owner's files), and the poll answer
//! shows the name the uploader sent. Resumable sessions belong to the FileDrop, not to the
//! owner (`filedrop_id` of `resumable_uploads`), and a finished one is never shown to the next
//! uploader. A key never issued, one whose FileDrop was turned off, or whose folder is in the
//! trash, is 214 alike.

use hearth_api::errors::{codes, ApiError};
use hearth_store::links::FiledropRow;
use hearth_store::tree::{self as store_tree, FolderRow};

use super::{db_err, Destination, UploadDuplicate};
use crate::sessions::Caller;
use crate::tree::{valid_name, LIVE};
use crate::Core;

/// Who uploads, as a handler knows it: the signed-in user into their own account, or anyone
/// holding a FileDrop's key (checked by the upload call itself: 214).
#[derive(Clone, Copy, Debug)]
pub enum Uploader<'a> {
    Owner(&'a Caller),
    FileDrop(&'a str),
}

impl<'a> From<&'a Caller> for Uploader<'a> {
    fn from(c: &'a Caller) -> Uploader<'a> {
        Uploader::Owner(c)
    }
}

/// A usable FileDrop: its settings and folder, and its owner acting through the server.
pub struct DropTarget {
    pub drop: FiledropRow,
    pub folder: FolderRow,
    owner: Caller,
}

/// An [`Uploader`] resolved: whose account and quota, which sessions, where the file lands,
/// and whether the answers may tell anything of the account.
pub(super) enum Actor<'a> {
    Owner(&'a Caller),
    Drop(Box<DropTarget>),
}

impl Actor<'_> {
    /// The account the upload acts as (a FileDrop's owner, through the server).
    pub(super) fn caller(&self) -> &Caller {
        match self {
            Actor::Owner(c) => c,
            Actor::Drop(t) => &t.owner,
        }
    }

    /// The FileDrop dimension of resumable sessions: 0 for the owner's own.
    pub(super) fn filedrop_id(&self) -> i64 {
        match self {
            Actor::Owner(_) => 0,
            Actor::Drop(t) => t.drop.id,
        }
    }

    /// Whether answers may report what the account holds (hashes, names, storage figures,
    /// finished sessions, the unique name a file got): only to the account's own user.
    pub(super) fn sees_account(&self) -> bool {
        matches!(self, Actor::Owner(_))
    }

    /// Where the file goes: the asked destination; for a FileDrop always its folder, and
    /// `path` below it (`folder_key` is ignored).
    pub(super) fn dest<'b>(&'b self, d: Destination<'b>) -> Destination<'b> {
        match self {
            Actor::Owner(_) => d,
            Actor::Drop(t) => Destination {
                folder_key: Some(&t.folder.folderkey),
                path: d.path.filter(|p| !p.is_empty()),
            },
        }
    }

    /// A FileDrop upload always keeps both files under a new unique name.
    pub(super) fn on_duplicate(&self, asked: UploadDuplicate) -> UploadDuplicate {
        match self {
            Actor::Owner(_) => asked,
            Actor::Drop(_) => UploadDuplicate::Keep,
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

    /// The FileDrop a resumable session sends into (its folder is stored with the session),
    /// still usable; else 214.
    pub(super) async fn filedrop_target_of(
        &self,
        s: &hearth_store::uploads::ResumableRow,
    ) -> Result<DropTarget, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let folder = match &s.folder_key {
            Some(k) => store_tree::folder_by_key(&mut c, k).await.map_err(db_err)?,
            None => None,
        }
        .filter(|f| f.trash_state == LIVE && f.user_id == s.user_id)
        .ok_or_else(invalid_key)?;
        let drop = hearth_store::links::filedrop_by_folder(&mut c, folder.id)
            .await
            .map_err(db_err)?
            .filter(|d| d.id == s.filedrop_id)
            .ok_or_else(invalid_key)?;
        Ok(DropTarget {
            owner: Caller::owner(drop.user_id),
            drop,
            folder,
        })
    }

    /// Resolves who uploads: a FileDrop key must name a usable FileDrop (214).
    pub(super) async fn actor<'a>(&self, who: Uploader<'a>) -> Result<Actor<'a>, ApiError> {
        Ok(match who {
            Uploader::Owner(c) => Actor::Owner(c),
            Uploader::FileDrop(key) => Actor::Drop(Box::new(self.filedrop_target(key).await?)),
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
}
