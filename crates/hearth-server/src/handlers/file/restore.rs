//! file/restore — without `revision`, takes a file out of the trash (to its folder, or the root
//! when that folder is trashed too); with `revision`, makes that earlier version the newest.

use hearth_api::response::Obj;

use super::target_key;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let key = target_key(cx, caller).await?;
    let rev = cx
        .core
        .restore_file(caller, Some(&key), cx.params.non_empty("revision"))
        .await?;
    Ok(with_revision(
        Obj::new().yes_no("asynchronous", false),
        Some(rev),
    ))
}
