//! folder/get_content — one chunk of a folder's sub-folders or files (`content_type`), ordered
//! and filtered (keyset-paged after the previous chunk); anonymous callers see public children.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::folder_query::Listing;
use hearth_core::tree::wire_key;
use hearth_core::Core;

use super::{details, filter, number, order, page_size, target};
use crate::handlers::entries::{folder_entry, listed_file_entry};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let p = cx.params;
    Core::check_device(p.get("device_id"))?;
    // Every known client sends content_type; without it the folders are listed.
    let files = match p.non_empty("content_type") {
        None | Some("folders") => false,
        Some("files") => true,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    // chunk=0 is read as the first chunk (as device/get_trash does).
    let chunk = number(cx, "chunk", 1)?.max(1);
    let chunk_size = page_size(cx, "chunk_size")?;
    let offset = (chunk - 1)
        .checked_mul(chunk_size)
        .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?;
    let (order, descending) = order(cx)?;
    let filter = filter(cx)?;
    let details = details(cx)?;
    let view = cx
        .core
        .folder_for_read(cx.caller, target(cx, "folder_key", "folder_path"))
        .await?;
    let listing = Listing {
        order,
        descending,
        offset,
        limit: chunk_size + 1,
        filter: &filter,
    };
    let (kind, items, more) = if files {
        let mut rows = cx
            .core
            .list_files_chunk(&view, &listing, chunk, chunk_size)
            .await?;
        let more = rows.len() as i64 > chunk_size;
        rows.truncate(chunk_size as usize);
        let items = rows
            .iter()
            .map(|f| Node::Obj(listed_file_entry(f, view.owner, &cx.base_url)))
            .collect::<Vec<_>>();
        ("files", items, more)
    } else {
        let mut rows = cx
            .core
            .list_folders_chunk(&view, &listing, chunk, chunk_size)
            .await?;
        let more = rows.len() as i64 > chunk_size;
        rows.truncate(chunk_size as usize);
        let mut items = Vec::with_capacity(rows.len());
        let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
        let drops = cx.core.filedrop_folders(&ids).await?;
        for f in &rows {
            let mut e = folder_entry(
                f,
                view.owner,
                cx.core.visible_counts(view.owner, f.id).await?,
                drops.contains(&f.id),
            );
            if details {
                let (folders, files, bytes) = cx.core.visible_totals(view.owner, f.id).await?;
                e = e
                    .num("total_folders", folders)
                    .num("total_files", files)
                    .num("total_size", bytes);
            }
            items.push(Node::Obj(e));
        }
        ("folders", items, more)
    };
    let revision = if view.row.is_root() {
        cx.core.device_revision(view.row.user_id).await?
    } else {
        view.row.revision
    };
    let content = Obj::new()
        .num("chunk_size", chunk_size)
        .str("content_type", kind)
        .num("chunk_number", chunk)
        .str("folderkey", wire_key(&view.row))
        .list(kind, items)
        .yes_no("more_chunks", more)
        .num("revision", revision);
    Ok(Obj::new()
        .obj("folder_content", content)
        .str("asynchronous", "no"))
}
