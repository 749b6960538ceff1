//! upload/patch — new content for the caller's file `quickkey` (alias `quick_key`) built from a
//! VCDIFF delta (xdelta3) in the raw body against its current content; answers `doupload.key`.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::patch::PatchRequest;
use hearth_core::uploads::SimpleOutcome;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let missing = || ApiError::new(codes::MISSING_PARAMS);
    let quick_key = cx
        .params
        .any_of(&["quickkey", "quick_key"])
        .ok_or_else(missing)?;
    let source_hash = cx.params.non_empty("source_hash").ok_or_else(missing)?;
    let target_hash = cx.params.non_empty("target_hash").ok_or_else(missing)?;
    let target_size = cx.params.non_empty("target_size").ok_or_else(missing)?;
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
        .upload_patch(
            caller,
            PatchRequest {
                quick_key,
                source_hash,
                target_hash,
                target_size,
                declared_size: body.headers.filesize.as_deref(),
            },
            &mut body.source,
        )
        .await?;
    let doupload = match outcome {
        SimpleOutcome::Key(key) => Obj::new().str("result", "0").str("key", key),
        SimpleOutcome::Refused(code) => Obj::new().str("result", code.to_string()),
    };
    Ok(Obj::new().obj("doupload", doupload))
}
