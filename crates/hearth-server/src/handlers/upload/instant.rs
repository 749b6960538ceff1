//! upload/instant — a file from content the account already holds (`hash` + `size`), in
//! `folder_key`/`path` by `action_on_duplicate`. Answers `quickkey`, `filename` and the revision.

use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;

use super::{destination, size_param};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    if let Some(key) = super::filedrop::key(cx) {
        return super::filedrop::instant(cx, key).await;
    }
    let caller = cx.caller()?;
    let p = cx.params;
    let size = size_param(cx)?;
    // Without action_on_duplicate the user's default (upload/set_options) applies.
    let on_duplicate = cx
        .core
        .upload_duplicate(caller.user_id, p.non_empty("action_on_duplicate"))
        .await?;
    let mtime = parse_mtime(p.non_empty("mtime"))?;
    let placed = cx
        .core
        .upload_instant(
            caller,
            p.non_empty("filename"),
            p.non_empty("hash"),
            size,
            destination(cx),
            on_duplicate,
            mtime,
        )
        .await?;
    let rev = match placed.revision {
        Some(r) => r,
        None => cx.core.device_revision(caller.user_id).await?,
    };
    Ok(Obj::new()
        .str("quickkey", placed.file.quickkey)
        .str("filename", placed.file.name)
        .num("new_device_revision", rev)
        .num("device_revision", rev))
}
