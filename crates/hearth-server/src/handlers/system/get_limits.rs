//! system/get_limits — the limits this server enforces, from its configuration.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    Ok(Obj::new().obj("limits", limits(cx)))
}

pub fn limits(cx: &Ctx<'_>) -> Obj {
    let l = &cx.core.settings().limits;
    Obj::new()
        .num("max_objects", l.max_objects)
        .num("max_keys", l.max_keys)
        .num("max_image_size", l.max_image_size)
        .num("zip_max_filesize", l.zip_max_filesize)
        .num("zip_max_total_filesize", l.zip_max_total_filesize)
        .num("folder_content_chunk_size", l.folder_content_chunk_size)
        .num("folder_depth_limit", l.folder_depth_limit)
        .num("limit_search_results", l.limit_search_results)
        .num("daily_shares_limit", l.daily_shares_limit)
        .num("device_changes_list_limit", l.device_changes_list_limit)
        .num("total_folder_items_limit", l.total_folder_items_limit)
}
