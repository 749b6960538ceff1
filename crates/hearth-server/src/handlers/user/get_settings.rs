//! user/get_settings — the caller's preferences and storage figures.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let u = cx.core.user(caller.user_id).await?;
    let settings = cx.core.user_settings(caller.user_id).await?;
    let get = |name: &str| {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let l = &cx.core.settings().limits;
    let share = get("default_share_link_status");
    let yes = |b: bool| if b { "yes" } else { "no" };
    Ok(Obj::new().obj(
        "settings",
        Obj::new()
            .num("max_upload_size", l.max_upload_size)
            .num("max_instant_upload_size", l.max_instant_upload_size)
            .str("validated", "yes")
            .str("instant_uploads_enabled", get("instant_uploads_enabled"))
            .obj(
                "show_download_page",
                Obj::new()
                    .str("me_from_me", "no")
                    .str("me_from_others", "no")
                    .str("others_from_me", "yes"),
            )
            .obj("auto_bandwidth", Obj::new().str("enabled", "no"))
            .num("used_storage_size", u.used_bytes.max(0) as u64)
            .num("storage_limit", u.quota_bytes.max(0) as u64)
            .str("storage_limit_exceeded", yes(u.used_bytes > u.quota_bytes))
            .str("previous_file_versions", get("previous_file_versions"))
            // Java reads default_share_link_status, C++ share_link_status: both.
            .str("default_share_link_status", share.clone())
            .str("share_link_status", share)
            .str("collect_metadata", get("collect_metadata")),
    ))
}
