//! folder/move — moves folders (`folder_key_src` list or `folder_path_src`) into
//! `folder_key_dst` / `folder_path_dst` (default the root); moving a trashed folder out of
//! the trash restores it with its subtree. A large move runs as a background job.

use hearth_api::response::Obj;

use super::{sources, target};
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = sources(cx, caller, "folder_key_src", "folder_path_src").await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let done = cx
        .core
        .move_folders_or_queue(
            caller,
            &keys,
            target(cx, "folder_key_dst", "folder_path_dst"),
        )
        .await?;
    Ok(with_revision(
        Obj::new().yes_no("asynchronous", done.asynchronous()),
        Some(done.revision()),
    ))
}
