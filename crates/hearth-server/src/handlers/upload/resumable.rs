//! upload/resumable — one unit (X-Unit-Id/Hash/Size of the file X-Filehash/X-Filesize), raw or
//! multipart, into the session check opened; the last unit assembles the file.

use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;
use hearth_core::uploads::{ResumableOutcome, ResumableRequest};

use super::{destination, resumable_obj, take_body};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let who = super::filedrop::uploader(cx)?;
    let on_duplicate = super::filedrop::on_duplicate(cx, who).await?;
    let mtime = parse_mtime(cx.params.non_empty("mtime"))?;
    let mut body = take_body(cx)?;
    let h = body.headers.clone();
    // Only X-Filename names the file; a multipart part's name (PyPI sends `chunk`) never does.
    let outcome = cx
        .core
        .upload_resumable(
            who,
            ResumableRequest {
                filename: h.filename.as_deref(),
                declared_size: h.filesize.as_deref(),
                declared_hash: h.filehash.as_deref(),
                unit_id: h.unit_id.as_deref(),
                unit_hash: h.unit_hash.as_deref(),
                unit_size: h.unit_size.as_deref(),
                dest: destination(cx),
                on_duplicate,
                mtime_us: mtime,
            },
            &mut body.source,
        )
        .await?;
    Ok(match outcome {
        ResumableOutcome::Unit(state) => {
            let key = state.upload_key.clone().unwrap_or_default();
            Obj::new()
                .obj("doupload", Obj::new().str("result", "0").str("key", key))
                .obj("resumable_upload", resumable_obj(&state))
        }
        ResumableOutcome::Refused(code) => {
            Obj::new().obj("doupload", Obj::new().str("result", code.to_string()))
        }
    })
}
