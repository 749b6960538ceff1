//! folder/update — rename a folder, change its description, privacy (optionally for the whole
//! subtree — a background job when the subtree is large) or mtime; a folder in the trash is 211.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;

use super::target;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let t = target(cx, "folder_key", "folder_path");
    if p.non_empty("folder_key").is_none() && p.non_empty("folder_path").is_none() {
        return Err(ApiError::new(codes::MISSING_FOLDERKEY));
    }
    let mtime = parse_mtime(p.non_empty("mtime"))?;
    let recursive = p.yes_no("privacy_recursive")?.unwrap_or(false);
    let done = cx
        .core
        .update_folder_or_queue(
            caller,
            t,
            p.get("foldername"),
            p.get("description"),
            p.non_empty("privacy"),
            recursive,
            mtime,
        )
        .await?;
    Ok(with_revision(
        Obj::new().yes_no("asynchronous", done.asynchronous()),
        Some(done.revision()),
    ))
}
