//! upload/add_web_upload — fetch `url` into `folder_key`/`folder_path` in the background (http(s)
//! and public addresses only); answers `upload_key` at once, for poll_upload and get_web_uploads.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::uploads::{Destination, UploadDuplicate};
use hearth_core::web_uploads::WebUploadRequest;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let url = p
        .non_empty("url")
        .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
    let on_duplicate = match p.non_empty("action_on_duplicate") {
        Some(v) => Some(UploadDuplicate::parse(Some(v))?),
        None => None,
    };
    let key = cx
        .core
        .add_web_upload(
            caller,
            WebUploadRequest {
                url,
                filename: p.non_empty("filename"),
                dest: Destination {
                    folder_key: p.non_empty("folder_key"),
                    path: p.any_of(&["folder_path", "path"]),
                },
                on_duplicate,
            },
        )
        .await?;
    Ok(Obj::new().str("upload_key", key))
}
