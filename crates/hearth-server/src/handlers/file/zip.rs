//! file/zip — Bulk Download: a zip of files and folder subtrees, streamed as the raw answer
//! (`application/zip`, not an envelope, the key unrotated); `meta_only=yes` runs the same
//! checks and answers an envelope.
//!
//! Keys: `keys` (quickkeys and folderkeys mixed: 15 characters is a quickkey, anything else a
//! folderkey), and the legacy `quick_key` / `folder_key` lists; commas and/or spaces separate
//! them. What goes in, and the limits: `hearth_core::bulk`.

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::QuickKey;
use hearth_api::response::Obj;
use hearth_core::bulk::{zip_key_list, ZipKey};
use http::{header, HeaderValue, StatusCode};

use crate::download::disposition;
use crate::handlers::{Ctx, Reply};
use crate::zip_stream;

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let confirmed = cx.params.yes_no("confirm_download")?.unwrap_or(false);
    let meta_only = cx.params.yes_no("meta_only")?.unwrap_or(false);
    let mut keys = Vec::new();
    if let Some(list) = cx.params.non_empty("keys") {
        keys.extend(zip_key_list(list).map(|k| {
            if k.len() == QuickKey::LEN {
                ZipKey::File(k)
            } else {
                ZipKey::Folder(k)
            }
        }));
    }
    if let Some(list) = cx.params.non_empty("quick_key") {
        keys.extend(zip_key_list(list).map(ZipKey::File));
    }
    if let Some(list) = cx.params.non_empty("folder_key") {
        keys.extend(zip_key_list(list).map(ZipKey::Folder));
    }
    let plan = cx.core.plan_zip(cx.caller, &keys, confirmed).await?;
    if meta_only {
        return Ok(Obj::new());
    }
    let slot = zip_stream::reserve().ok_or_else(|| ApiError::new(codes::ACCESS_LIMIT_REACHED))?;
    let mut response =
        axum::response::Response::new(zip_stream::body(cx.core.clone(), plan.entries, slot));
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&plan.archive_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    cx.answer_raw(response);
    Ok(Obj::new())
}
