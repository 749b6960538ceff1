//! device/get_trash — one chunk of the items at the top of the trash (folders and files that
//! were deleted themselves, not what sits inside a deleted folder), each with its delete date.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::tree::TRASH_KEY;
use hearth_core::Core;

use super::flag;
use crate::handlers::entries::{file_entry, folder_entry};
use crate::handlers::{Ctx, Reply};

/// The largest `chunk_size`, as for folder/get_content.
const MAX_CHUNK_SIZE: i64 = 1000;

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let content_type = match cx.params.non_empty("content_type") {
        None => None,
        Some(t @ ("files" | "folders")) => Some(t),
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    let number = |name: &str| -> Result<Option<i64>, ApiError> {
        match cx.params.non_empty(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS)),
        }
    };
    // 1-based; the TS SDK starts at 0, which means the first chunk too.
    let chunk = number("chunk")?.unwrap_or(1).max(1);
    let chunk_size = match number("chunk_size")? {
        None => cx.core.settings().limits.folder_content_chunk_size as i64,
        Some(n) if (1..=MAX_CHUNK_SIZE).contains(&n) => n,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    let data_only = flag(cx.params, "data_only")?;
    let offset = (chunk - 1)
        .checked_mul(chunk_size)
        .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?;

    let mut o = Obj::new()
        .str("folderkey", TRASH_KEY)
        .str("name", "Trash")
        .opt_str("content_type", content_type);
    if data_only {
        return Ok(o);
    }
    // One row more than the chunk tells whether another chunk follows.
    let (folders, files) = cx.core.trash(caller, offset, chunk_size + 1).await?;
    let want_folders = content_type != Some("files");
    let want_files = content_type != Some("folders");
    let more = (want_folders && folders.len() as i64 > chunk_size)
        || (want_files && files.len() as i64 > chunk_size);
    let folders: Vec<Node> = if want_folders {
        folders
            .iter()
            .take(chunk_size as usize)
            // A trashed folder has no live children, and takes no FileDrop uploads.
            .map(|f| Node::Obj(folder_entry(f, true, (0, 0), false)))
            .collect()
    } else {
        Vec::new()
    };
    let files: Vec<Node> = if want_files {
        files
            .iter()
            .take(chunk_size as usize)
            .map(|f| Node::Obj(file_entry(f, true)))
            .collect()
    } else {
        Vec::new()
    };
    o = o
        .num("chunk_size", chunk_size)
        .num("chunk_number", chunk)
        .yes_no("more_chunks", more)
        .list("folders", folders)
        .list("files", files);
    Ok(o)
}
