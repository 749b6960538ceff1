//! folder/move — moves folders (`folder_key_src` list or `folder_path_src`) into
//! `folder_key_dst` / `folder_path_dst` (default the root); moving a trashed folder out of
//! the trash restores it with its subtree.

use hearth_api::response::Obj;

use super::{mutation, sources, target};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = sources(cx, caller, "folder_key_src", "folder_path_src").await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rev = cx
        .core
        .move_folders(
            caller,
            &keys,
            target(cx, "folder_key_dst", "folder_path_dst"),
        )
        .await?;
    Ok(mutation(Obj::new(), rev))
}
