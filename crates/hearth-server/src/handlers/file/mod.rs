//! The file group: metadata calls over the core's file rules (`hearth_core::files`), plus the
//! file info objects they answer with (their `links.normal_download` is the landing page of
//! crate::pages).

pub mod configure_one_time_key;
pub mod copy;
pub mod create;
pub mod delete;
pub mod get_info;
pub mod get_links;
pub mod get_versions;
pub mod r#move;
pub mod one_time_key;
pub mod purge;
pub mod recently_modified;
pub mod restore;
pub mod update;
pub mod update_file;
pub mod zip;

super::calls! {
    "file/configure_one_time_key" => configure_one_time_key,
    "file/copy" => copy,
    "file/create" => create,
    "file/delete" => delete,
    "file/get_info" => get_info,
    "file/get_links" => get_links,
    "file/get_versions" => get_versions,
    "file/move" => r#move,
    "file/one_time_key" => one_time_key,
    "file/purge" => purge,
    "file/recently_modified" => recently_modified,
    "file/restore" => restore,
    "file/update" => update,
    "file/update_file" => update_file,
    "file/zip" => self::zip,
}

use hearth_api::errors::ApiError;
use hearth_api::response::Obj;
use hearth_core::file_query::FileInfo;
use hearth_core::sessions::Caller;
use hearth_core::time_fmt;
use hearth_core::tree::{FileRow, DELETED};

use super::entries::{file_links, media_of, permissions};
use super::Ctx;

/// Why a link type has no URL on this server.
pub const NOT_SERVED: &str = "Downloads are not available on this server yet";

/// The files a multi-target call names: `quick_key` (a comma list) or `file_path`.
pub async fn target_keys(cx: &Ctx<'_>, caller: Option<&Caller>) -> Result<Vec<String>, ApiError> {
    cx.core
        .file_keys(
            caller,
            cx.params.non_empty("quick_key"),
            cx.params.non_empty("file_path"),
        )
        .await
}

/// The one file a single-target call names: `quick_key`, else `file_path` (the caller's).
pub async fn target_key(cx: &Ctx<'_>, caller: &Caller) -> Result<String, ApiError> {
    let v = cx
        .core
        .file_for_read(
            Some(caller),
            cx.params.non_empty("quick_key"),
            cx.params.non_empty("file_path"),
        )
        .await?;
    Ok(v.row.quickkey)
}

/// `file_info` of `file/get_info`: the 1.5 field list in its order, with the owner's fields
/// (`downloads`, `views`, `parent_folderkey`) and `delete_date` for a file in the trash.
pub fn file_info(i: &FileInfo, base_url: &str) -> Obj {
    let f = &i.view.row;
    let owner = i.view.owner;
    let (mimetype, filetype, view, edit) = media_of(&f.name);
    let mut o = Obj::new()
        .str("quickkey", f.quickkey.clone())
        .str("filename", f.name.clone())
        .yes_no("ready", true)
        .str("created", time_fmt::date_time(f.created_us));
    if owner {
        o = o.num("downloads", f.downloads).str("views", "0");
    }
    o = o
        .str("description", f.description.clone())
        .num("size", f.size)
        .str("privacy", f.privacy.clone())
        .yes_no("password_protected", !f.password_hash.is_empty())
        .str("hash", f.hash.clone())
        .str("filetype", filetype)
        .str("mimetype", mimetype)
        .str("owner_name", i.owner_name.clone())
        .str("flag", "0");
    if owner {
        o = o.str("parent_folderkey", i.view.parent_key.clone());
    }
    o = o
        .obj("permissions", permissions(owner))
        .num("revision", f.revision)
        .num("view", view)
        .num("edit", edit)
        .obj("links", file_links(base_url, f));
    if f.trash_state == DELETED {
        o = o.str("delete_date", time_fmt::date_time(f.delete_us));
    }
    o.str("created_utc", time_fmt::date_time_utc(f.created_us))
}

/// `fileinfo` of `file/create` (the caller's new file), in the documented order.
pub fn created_file_info(f: &FileRow, base_url: &str) -> Obj {
    let (mimetype, filetype, _, _) = media_of(&f.name);
    Obj::new()
        .str("quickkey", f.quickkey.clone())
        .str("filename", f.name.clone())
        .str("created", time_fmt::date_time(f.created_us))
        .str("description", f.description.clone())
        .num("downloads", f.downloads)
        .str("hash", f.hash.clone())
        .num("size", f.size)
        .str("filetype", filetype)
        .str("mimetype", mimetype)
        .num("revision", f.revision)
        .str("flag", "0")
        .yes_no("password_protected", !f.password_hash.is_empty())
        .str("privacy", f.privacy.clone())
        .obj("links", file_links(base_url, f))
        .str("created_utc", time_fmt::date_time_utc(f.created_us))
}
