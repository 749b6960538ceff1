//! upload/get_options — the caller's upload preferences (action_on_duplicate, disable_instant,
//! disable_flash, disable_html5) and storage figures, at the top level of the response.

use hearth_api::response::Obj;
use hearth_core::web_uploads::duplicate_name;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let o = cx.core.upload_options(caller.user_id).await?;
    let u = cx.core.user(caller.user_id).await?;
    Ok(Obj::new()
        .yes_no("disable_flash", o.disable_flash)
        .yes_no("disable_html5", o.disable_html5)
        .yes_no("disable_instant", o.disable_instant)
        .str("action_on_duplicate", duplicate_name(o.action_on_duplicate))
        .num("used_storage_size", u.used_bytes.max(0))
        .num("storage_limit", u.quota_bytes.max(0))
        .yes_no("storage_limit_exceeded", u.used_bytes > u.quota_bytes))
}
