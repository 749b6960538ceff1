//! user/set_settings — changes preferences; every value is checked before any is stored.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

const SETTABLE: &[&str] = &[
    "previous_file_versions",
    "default_share_link_status",
    "collect_metadata",
    "instant_uploads_enabled",
];

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let changes: Vec<(&str, &str)> = SETTABLE
        .iter()
        .filter_map(|name| cx.params.non_empty(name).map(|v| (*name, v)))
        .collect();
    cx.core
        .set_user_settings(cx.caller()?.user_id, &changes)
        .await?;
    Ok(Obj::new())
}
