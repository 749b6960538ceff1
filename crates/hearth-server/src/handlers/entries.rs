//! The folder and file objects every tree call answers with (spec/folder.md "Shared object",
//! spec/file.md "file info"), built once here so all calls agree.

use hearth_api::response::Obj;
use hearth_core::time_fmt;
use hearth_core::tree::{wire_key, FileRow, FolderRow, DELETED, LIVE};

use super::system::media::MIME_TABLE;

/// `permissions`: owners read and write; others (public items) read.
pub fn permissions(owner: bool) -> Obj {
    if owner {
        Obj::new()
            .str("value", "2")
            .str("explicit", "0")
            .str("read", "1")
            .str("write", "1")
    } else {
        Obj::new()
            .str("value", "1")
            .str("explicit", "0")
            .str("read", "1")
            .str("write", "0")
    }
}

/// MIME type, filetype category, viewer and editor ids of a file name.
pub fn media_of(name: &str) -> (&'static str, &'static str, u8, u8) {
    let ext = hearth_core::tree::extension(name);
    MIME_TABLE
        .iter()
        .find(|m| m.extension == ext)
        .map_or(("application/octet-stream", "unknown", 0, 0), |m| {
            (m.mimetype, m.filetype, m.view, m.edit)
        })
}

/// A folder entry (listing form). `counts` = live direct children (folders, files);
/// `dropbox` = the folder is a FileDrop.
pub fn folder_entry(f: &FolderRow, owner: bool, counts: (i64, i64), dropbox: bool) -> Obj {
    let mut o = Obj::new()
        .str("folderkey", wire_key(f))
        .str("name", f.name.clone())
        .str("description", f.description.clone())
        .str("tags", f.tags.clone())
        .str("privacy", f.privacy.clone())
        .str("created", time_fmt::date_time(f.created_us))
        .num("revision", f.revision)
        .str("flag", "0")
        .obj("permissions", permissions(owner))
        .num("file_count", counts.1)
        .num("folder_count", counts.0)
        .yes_no("dropbox_enabled", dropbox);
    // Only the top of a trashed subtree has a deletion time of its own.
    if f.trash_state == DELETED {
        o = o.str("delete_date", time_fmt::date_time(f.delete_us));
    }
    o.str("created_utc", time_fmt::date_time_utc(f.created_us))
}

/// A file entry (listing form, also the base of `file_info`), without `links`.
pub fn file_entry(f: &FileRow, owner: bool) -> Obj {
    file_entry_with(f, owner, None)
}

/// A file entry of a listing; a public file's carries `links.normal_download`, its landing
/// page under `base_url` (spec/folder.md "file entry"). A private file's page would be the
/// not-found page, so its entry has no `links`.
pub fn listed_file_entry(f: &FileRow, owner: bool, base_url: &str) -> Obj {
    let links = has_page(f).then(|| file_links(base_url, f));
    file_entry_with(f, owner, links)
}

/// Why a file has no landing page.
const NO_PAGE: &str = "Only public files have a page; file/get_links gives the owner a signed one";

/// Whether a file's landing page shows it to anyone (public and live; a password is asked there).
fn has_page(f: &FileRow) -> bool {
    f.privacy == "public" && f.trash_state == LIVE
}

/// `links` of a file info: `normal_download`, the landing page (crate::pages) of a public
/// file; `""` and the reason for others.
pub fn file_links(base_url: &str, f: &FileRow) -> Obj {
    if has_page(f) {
        Obj::new().str("normal_download", crate::pages::file_url(base_url, f))
    } else {
        Obj::new()
            .str("normal_download", "")
            .str("normal_download_error_message", NO_PAGE)
    }
}

fn file_entry_with(f: &FileRow, owner: bool, links: Option<Obj>) -> Obj {
    let (mimetype, filetype, view, edit) = media_of(&f.name);
    let mut o = Obj::new()
        .str("quickkey", f.quickkey.clone())
        .str("hash", f.hash.clone())
        .str("filename", f.name.clone())
        .str("description", f.description.clone())
        .num("size", f.size)
        .str("privacy", f.privacy.clone())
        .str("created", time_fmt::date_time(f.created_us))
        .yes_no("password_protected", !f.password_hash.is_empty())
        .str("mimetype", mimetype)
        .str("filetype", filetype)
        .num("view", view as u64)
        .num("edit", edit as u64)
        .num("revision", f.revision)
        .str("flag", "0")
        .obj("permissions", permissions(owner))
        .num("downloads", f.downloads)
        .str("views", "0");
    if let Some(links) = links {
        o = o.obj("links", links);
    }
    if f.trash_state == DELETED {
        o = o.str("delete_date", time_fmt::date_time(f.delete_us));
    }
    o.str("created_utc", time_fmt::date_time_utc(f.created_us))
}

/// `new_device_revision` and its pre-1.3 name `device_revision`, when the revision changed.
pub fn with_revision(o: Obj, rev: Option<i64>) -> Obj {
    match rev {
        Some(r) => o.num("new_device_revision", r).num("device_revision", r),
        None => o,
    }
}
