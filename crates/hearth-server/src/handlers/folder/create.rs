//! folder/create — a new folder under `parent_key` / `parent_path` (default the root); with
//! `action_on_duplicate=skip` an existing folder of that name is answered instead.

use hearth_api::response::Obj;
use hearth_core::time_fmt;
use hearth_core::tree::{parse_mtime, wire_key, OnDuplicate};

use super::target;
use crate::handlers::entries::{permissions, with_revision};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let on_duplicate = OnDuplicate::parse(
        p.non_empty("action_on_duplicate"),
        p.non_empty("allow_duplicate_name"),
    )?;
    let mtime = parse_mtime(p.non_empty("mtime"))?;
    let (row, rev) = cx
        .core
        .create_folder(
            caller,
            target(cx, "parent_key", "parent_path"),
            p.get("foldername"),
            on_duplicate,
            mtime,
        )
        .await?;
    let parent_key = cx.core.parent_key_of_folder(&row).await?;
    let (folders, files) = match rev {
        Some(_) => (0, 0),
        None => cx.core.child_counts(row.id).await?,
    };
    let key = wire_key(&row);
    let o = Obj::new()
        .str("folder_key", key.clone())
        .str("folderkey", key.clone())
        .str("parent_folderkey", parent_key)
        .str("name", row.name.clone())
        .str("description", row.description.clone())
        .str("tags", row.tags.clone())
        .str("created", time_fmt::date_time(row.created_us))
        .str("created_utc", time_fmt::date_time_utc(row.created_us))
        .str("privacy", row.privacy.clone())
        .num("file_count", files)
        .num("folder_count", folders)
        .num("revision", row.revision)
        .str("dropbox_enabled", "no")
        .str("flag", "0")
        .obj("permissions", permissions(true))
        .str("upload_key", key);
    Ok(with_revision(o, rev))
}
