//! folder/get_info — one folder (`folder_info`) or a comma list (`folder_infos`); the root is
//! `myfiles`. Anonymous callers may read public folders.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::tree::{FolderView, Target};
use hearth_core::Core;

use super::{avatar_url, details, key_list};
use crate::handlers::entries::{folder_entry, permissions};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    Core::check_device(cx.params.get("device_id"))?;
    let details = details(cx)?;
    let keys = cx.params.non_empty("folder_key").map(key_list);
    match keys {
        Some(keys) if keys.len() > 1 => {
            if keys.len() as u64 > cx.core.settings().limits.max_keys {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
            let mut infos = Vec::new();
            for k in keys {
                let v = cx
                    .core
                    .folder_for_read(cx.caller, Target::of(Some(k), None))
                    .await?;
                infos.push(Node::Obj(info(cx, &v, details).await?));
            }
            Ok(Obj::new().list("folder_infos", infos))
        }
        keys => {
            let key = keys.and_then(|k| k.first().copied());
            let v = cx
                .core
                .folder_for_read(
                    cx.caller,
                    Target::of(key, cx.params.non_empty("folder_path")),
                )
                .await?;
            Ok(Obj::new().obj("folder_info", info(cx, &v, details).await?))
        }
    }
}

/// `folder_info`: the entry fields, `parent_folderkey` (absent for the root, `trash` for a
/// deleted folder), the owner's name and avatar, and recursive totals with `details=yes`.
async fn info(cx: &Ctx<'_>, v: &FolderView, details: bool) -> Result<Obj, ApiError> {
    let row = &v.row;
    let owner = cx.core.user(row.user_id).await?;
    let counts = cx.core.visible_counts(v.owner, row.id).await?;
    let mut o = if row.is_root() {
        // The captured root answer: key and name `myfiles`, no parent, created or privacy;
        // its revision is the device revision.
        Obj::new()
            .str("folderkey", "myfiles")
            .str("name", "myfiles")
            .str("description", "")
            .num("file_count", counts.1)
            .num("folder_count", counts.0)
            .num("revision", owner.device_revision)
            .str("flag", "2")
            .obj("permissions", permissions(v.owner))
            .yes_no("dropbox_enabled", cx.core.filedrop_enabled(row.id).await?)
    } else {
        folder_entry(
            row,
            v.owner,
            counts,
            cx.core.filedrop_enabled(row.id).await?,
        )
        .str("parent_folderkey", cx.core.parent_key_of_folder(row).await?)
    };
    o = o
        .str("owner_name", owner.display_name.clone())
        .str("avatar", avatar_url(cx, &owner.avatar));
    if details {
        let (folders, files, bytes) = cx.core.visible_totals(v.owner, row.id).await?;
        o = o
            .num("total_folders", folders)
            .num("total_files", files)
            .num("total_size", bytes);
    }
    Ok(o)
}
