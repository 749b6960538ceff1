//! folder/search — live folders and files below a folder (default the root; the caller's whole
//! tree with `search_all=yes`) whose name or description contains every word of `search_text`.

use hearth_api::response::{Node, Obj};
use hearth_core::folder_query::Found;
use hearth_core::time_fmt;
use hearth_core::tree::wire_key;

use super::{filter, target};
use crate::handlers::entries::media_of;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let p = cx.params;
    // device_id -1 = every device; the cloud is the only one.
    match p.non_empty("device_id") {
        None | Some("0" | "-1") => {}
        Some(d) => hearth_core::Core::check_device(Some(d))?,
    }
    let text = p.required("search_text")?;
    let search_all = p.yes_no("search_all")?.unwrap_or(false);
    let filter = filter(cx)?;
    super::details(cx)?;
    let (view, hits) = cx
        .core
        .search_folder(
            cx.caller,
            target(cx, "folder_key", "folder_path"),
            search_all,
            text,
            &filter,
        )
        .await?;
    let mut results = Vec::with_capacity(hits.len());
    for h in &hits {
        let o = Obj::new();
        let o = match &h.item {
            Found::Folder(f) => {
                let (folders, files, bytes) = cx.core.visible_totals(view.owner, f.id).await?;
                o.str("type", "folder")
                    .str("folderkey", wire_key(f))
                    .str("name", f.name.clone())
                    .str("description", f.description.clone())
                    .str("parent_folderkey", wire_key(&h.parent))
                    .str("parent_name", h.parent.name.clone())
                    .num("total_folders", folders)
                    .num("total_files", files)
                    .num("total_size", bytes)
                    .str("created", time_fmt::date_time(f.created_us))
                    .str("created_utc", time_fmt::date_time_utc(f.created_us))
                    .str("privacy", f.privacy.clone())
                    .str("flag", "0")
                    .num("relevancy", h.relevancy)
            }
            Found::File(f) => {
                let (mimetype, filetype, _, _) = media_of(&f.name);
                o.str("type", "file")
                    .str("quickkey", f.quickkey.clone())
                    .str("filename", f.name.clone())
                    .str("description", f.description.clone())
                    .str("hash", f.hash.clone())
                    .num("size", f.size)
                    .str("created", time_fmt::date_time(f.created_us))
                    .str("created_utc", time_fmt::date_time_utc(f.created_us))
                    .str("mimetype", mimetype)
                    .str("filetype", filetype)
                    .str("privacy", f.privacy.clone())
                    .yes_no("password_protected", !f.password_hash.is_empty())
                    .str("flag", "0")
                    .num("relevancy", h.relevancy)
                    .str("parent_folderkey", wire_key(&h.parent))
                    .str("parent_name", h.parent.name.clone())
            }
        };
        results.push(Node::Obj(o));
    }
    Ok(Obj::new()
        .num("results_count", results.len())
        .list("results", results))
}
