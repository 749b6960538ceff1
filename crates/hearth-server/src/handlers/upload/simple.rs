//! upload/simple (alias upload/upload.php) — a whole file in one request, raw octet-stream
//! (X-Filename, X-Filesize, X-Filehash) or multipart; stored before answering `doupload.key`.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;
use hearth_core::uploads::{SimpleOutcome, SimpleRequest};

use super::{destination, UploadSource};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    if let Some(key) = super::filedrop::key(cx) {
        return super::filedrop::simple(cx, key).await;
    }
    let caller = cx.caller()?;
    let p = cx.params;
    // Without action_on_duplicate the user's default (upload/set_options) applies.
    let on_duplicate = cx
        .core
        .upload_duplicate(caller.user_id, p.non_empty("action_on_duplicate"))
        .await?;
    let mtime = parse_mtime(p.non_empty("mtime"))?;
    let body = cx
        .upload
        .lock()
        .map_err(|_| ApiError::new(codes::INTERNAL))?
        .take();
    let Some(mut body) = body else {
        return Err(ApiError::new(codes::INTERNAL));
    };
    let multipart = !matches!(body.source, UploadSource::Raw(_));
    // X-Filename wins; a multipart file part's own name is the fallback.
    let filename = body
        .headers
        .filename
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| multipart.then(|| body.part_filename.clone()).flatten());
    let outcome = cx
        .core
        .upload_simple(
            caller,
            SimpleRequest {
                filename: filename.as_deref(),
                declared_size: body.headers.filesize.as_deref(),
                declared_hash: body.headers.filehash.as_deref(),
                dest: destination(cx),
                on_duplicate,
                mtime_us: mtime,
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
