//! folder/get_siblings — the other folders and the files beside a folder in its parent
//! (`content_filter` folders|files|all, paged by `start` and `limit`, ordered by name).

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::folder_query::{Filter, Listing};
use hearth_core::tree::{wire_key, Order};

use super::{number, page_size, target};
use crate::handlers::entries::{folder_entry, listed_file_entry};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    // The old PHP SDK's values: `info` and `content` read as `all`.
    let (folders, files) = match cx.params.non_empty("content_filter") {
        None | Some("all" | "content" | "info") => (true, true),
        Some("folders") => (true, false),
        Some("files") => (false, true),
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    let start = number(cx, "start", 0)?;
    let limit = page_size(cx, "limit")?;
    let listing = Listing {
        order: Order::Name,
        descending: false,
        offset: start,
        limit: limit + 1,
        filter: &Filter::All,
    };
    let s = cx
        .core
        .folder_siblings(
            caller,
            target(cx, "folder_key", "folder_path"),
            &listing,
            folders,
            files,
        )
        .await?;
    let mut more = false;
    let mut o = Obj::new().str("folderkey", wire_key(&s.folder.row)).str(
        "parent_folderkey",
        s.parent
            .as_ref()
            .map(|p| wire_key(&p.row))
            .unwrap_or_default(),
    );
    let owner = s.parent.as_ref().is_some_and(|p| p.owner);
    if folders {
        let mut items = Vec::new();
        let ids: Vec<i64> = s
            .folders
            .iter()
            .take(limit as usize)
            .map(|f| f.id)
            .collect();
        let drops = cx.core.filedrop_folders(&ids).await?;
        for f in s.folders.iter().take(limit as usize) {
            items.push(Node::Obj(folder_entry(
                f,
                owner,
                cx.core.visible_counts(owner, f.id).await?,
                drops.contains(&f.id),
            )));
        }
        more |= s.folders.len() as i64 > limit;
        o = o.list("folders", items);
    }
    if files {
        let items = s
            .files
            .iter()
            .take(limit as usize)
            .map(|f| Node::Obj(listed_file_entry(f, owner, &cx.base_url)))
            .collect();
        more |= s.files.len() as i64 > limit;
        o = o.list("files", items);
    }
    let o = o
        .num("start", start)
        .num("limit", limit)
        .yes_no("more", more);
    Ok(Obj::new().obj("siblings", o))
}
