//! user/get_info — the caller's personal information and storage figures.

use hearth_api::response::Obj;
use hearth_core::time_fmt;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let u = cx.core.user(cx.caller()?.user_id).await?;
    let l = &cx.core.settings().limits;
    let tos = cx.core.settings().tos_revision.clone();
    let unlinked = || Obj::new().str("linked", "no");
    let info = Obj::new()
        .str("ekey", u.ekey)
        .str("email", u.email)
        .str("first_name", u.first_name)
        .str("last_name", u.last_name)
        .str("display_name", u.display_name)
        .str("gender", u.gender)
        .str("birth_date", u.birth_date)
        .str("location", u.location)
        .str("website", u.website)
        .yes_no("premium", true)
        .num("bandwidth", u64::MAX >> 12)
        .str("created", time_fmt::date(u.created_us))
        .yes_no("validated", true)
        .num("max_upload_size", l.max_upload_size)
        .num("max_instant_upload_size", l.max_instant_upload_size)
        .str(
            "tos_accepted",
            if u.tos_accepted.is_empty() {
                tos
            } else {
                u.tos_accepted
            },
        )
        .num("used_storage_size", u.used_bytes.max(0) as u64)
        .num("base_storage", u.quota_bytes.max(0) as u64)
        .num("bonus_storage", 0u64)
        .num("storage_limit", u.quota_bytes.max(0) as u64)
        .yes_no("storage_limit_exceeded", u.used_bytes > u.quota_bytes)
        .num("used_revision_storage", 0u64)
        .num("options", 0u64)
        .num(
            "one_time_key_request_max_count",
            hearth_core::links::ONE_TIME_KEY_DAILY_MAX,
        )
        .obj("facebook", unlinked())
        .obj("twitter", unlinked())
        .obj("gmail", unlinked());
    Ok(Obj::new().obj("user_info", info))
}
