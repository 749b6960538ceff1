//! upload/update — new content for the existing file `quick_key`, streamed like upload/simple
//! (raw or multipart); the old head becomes an earlier version; answers `doupload.key`.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::uploads::SimpleOutcome;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let quick_key = cx
        .params
        .any_of(&["quick_key", "quickkey"])
        .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
    let body = cx
        .upload
        .lock()
        .map_err(|_| ApiError::new(codes::INTERNAL))?
        .take();
    let Some(mut body) = body else {
        return Err(ApiError::new(codes::INTERNAL));
    };
    let outcome = cx
        .core
        .upload_update(
            caller,
            quick_key,
            body.headers.filesize.as_deref(),
            body.headers.filehash.as_deref(),
            &mut body.source,
        )
        .await?;
    let doupload = match outcome {
        SimpleOutcome::Key(key) => Obj::new().str("result", "0").str("key", key),
        SimpleOutcome::Refused(code) => Obj::new().str("result", code.to_string()),
    };
    Ok(Obj::new().obj("doupload", doupload))
}
