//! user/get_limits — the account's limit counters, top level as the C++ SDK reads them.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

/// Bandwidth is not metered on a self-hosted server: report a large, constant allowance.
const UNMETERED: u64 = u64::MAX >> 12;

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let u = cx.core.user(cx.caller()?.user_id).await?;
    let l = &cx.core.settings().limits;
    Ok(Obj::new()
        .num("storage_base", u.quota_bytes.max(0) as u64)
        .num("storage_bonus", 0u64)
        .num("storage_limit", u.quota_bytes.max(0) as u64)
        .num("storage_used", u.used_bytes.max(0) as u64)
        .num("bandwidth_limit", UNMETERED)
        .num("bandwidth_used", 0u64)
        .num("collaboration_limit", l.daily_shares_limit)
        .num("collaboration_today", 0u64)
        .num("one_time_downloads_limit", 100u64)
        .num("one_time_downloads_today", 0u64)
        .num("streaming_bandwidth_limit", UNMETERED)
        .num("streaming_bandwidth_today", 0u64)
        .num("upload_size_limit", l.max_upload_size))
}
