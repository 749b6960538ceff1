//! folder/get_depth — how deep a folder lies below the root, with the chain of its ancestors
//! (root first); a comma list answers `folder_depths`.

use hearth_api::errors::ApiError;
use hearth_api::response::{Node, Obj};
use hearth_core::sessions::Caller;
use hearth_core::tree::{wire_key, Target};

use super::{key_list, target};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = cx
        .params
        .non_empty("folder_key")
        .map(key_list)
        .unwrap_or_default();
    if keys.len() > 1 {
        let mut list = Vec::new();
        for k in keys {
            list.push(Node::Obj(
                depth(cx, Some(caller), Target::of(Some(k), None)).await?,
            ));
        }
        return Ok(Obj::new().list("folder_depths", list));
    }
    let t = match keys.first() {
        Some(k) => Target::of(Some(k), None),
        None => target(cx, "folder_key", "folder_path"),
    };
    Ok(Obj::new().obj("folder_depth", depth(cx, Some(caller), t).await?))
}

async fn depth(cx: &Ctx<'_>, caller: Option<&Caller>, t: Target<'_>) -> Result<Obj, ApiError> {
    let v = cx.core.folder_for_read(caller, t).await?;
    let chain = cx
        .core
        .folder_ancestors(v.row.id)
        .await?
        .iter()
        .map(|a| {
            Node::Obj(
                Obj::new()
                    .str("folderkey", wire_key(a))
                    .str("name", a.name.clone()),
            )
        })
        .collect();
    Ok(Obj::new()
        .str("folderkey", wire_key(&v.row))
        .str("name", v.row.name.clone())
        .num("depth", v.row.depth)
        .list("chain_folders", chain))
}
