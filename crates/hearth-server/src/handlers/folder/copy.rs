//! folder/copy — copies folders with their live content into `folder_key_dst` /
//! `folder_path_dst` (default the root); answers the copies' keys in `new_folderkeys`.
//! A large copy runs as a background job (`asynchronous: yes`, the keys chosen at once).

use hearth_api::response::{Node, Obj};

use super::{sources, target};
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = sources(cx, caller, "folder_key_src", "folder_path_src").await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let (new_keys, done) = cx
        .core
        .copy_folders_or_queue(
            caller,
            &keys,
            target(cx, "folder_key_dst", "folder_path_dst"),
        )
        .await?;
    let list = new_keys.into_iter().map(Node::Str).collect();
    Ok(with_revision(
        Obj::new()
            .list("new_folderkeys", list)
            .yes_no("asynchronous", done.asynchronous()),
        Some(done.revision()),
    ))
}
