//! upload/check — pre-flight of an upload: same-named file, content the account already holds
//! (instant possible), quota, and for `resumable=yes` the session (opened if needed): unit
//! layout, bitmap of received units, upload key. With a `filedrop_key`, into the FileDrop
//! (see `filedrop.rs`).

use hearth_api::response::Obj;
use hearth_core::uploads::{CheckRequest, Uploader};

use super::{destination, resumable_obj, size_param};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let who = super::filedrop::uploader(cx)?;
    let p = cx.params;
    let size = size_param(cx)?;
    let resumable = p.yes_no("resumable")?.unwrap_or(false);
    let r = cx
        .core
        .upload_check(
            who,
            CheckRequest {
                filename: p.non_empty("filename"),
                hash: p.non_empty("hash"),
                size,
                dest: destination(cx),
                resumable,
            },
        )
        .await?;
    let mut o = Obj::new()
        .yes_no("hash_exists", r.hash_exists)
        .yes_no("in_account", r.hash_exists)
        .yes_no("in_folder", r.in_folder)
        .yes_no("file_exists", r.file_exists)
        .yes_no("different_hash", r.different_hash);
    if let Some(q) = r.duplicate_quickkey {
        o = o.str("duplicate_quickkey", q);
    }
    // A FileDrop uploader is told only whether the file would exceed the owner's storage.
    if let Uploader::Owner(_) = who {
        o = o
            .num("available_space", (r.quota_bytes - r.used_bytes).max(0))
            .num("storage_limit", r.quota_bytes)
            .num("used_storage_size", r.used_bytes);
    }
    o = o.yes_no("storage_limit_exceeded", r.limit_exceeded);
    if let Some(k) = r.folder_key {
        o = o.str("folder_key", k);
    }
    if let Some(r) = &r.resumable {
        o = o.obj("resumable_upload", resumable_obj(r));
    }
    Ok(o)
}
