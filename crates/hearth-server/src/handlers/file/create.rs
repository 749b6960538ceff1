//! file/create — a new, empty file (`filename` + `file_extension`, default `Untitled`) in a
//! folder of the caller (`parent_key`/`parent_path`, default the root). Answers `fileinfo`.

use hearth_api::response::Obj;
use hearth_core::tree::{parse_mtime, Target};

use super::created_file_info;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let parent = Target::of(p.non_empty("parent_key"), p.non_empty("parent_path"));
    let mtime = parse_mtime(p.non_empty("mtime"))?;
    let (row, rev) = cx
        .core
        .create_empty_file(
            caller,
            parent,
            p.non_empty("filename"),
            p.non_empty("file_extension"),
            mtime,
        )
        .await?;
    Ok(with_revision(
        Obj::new().obj("fileinfo", created_file_info(&row, &cx.base_url)),
        rev,
    ))
}
