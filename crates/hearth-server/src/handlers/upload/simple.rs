//! upload/simple (alias upload/upload.php) — a whole file in one request, raw octet-stream
//! (X-Filename, X-Filesize, X-Filehash) or multipart; stored before answering `doupload.key`.

use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;
use hearth_core::uploads::{SimpleOutcome, SimpleRequest};

use super::{destination, take_body, UploadSource};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let who = super::filedrop::uploader(cx)?;
    let on_duplicate = super::filedrop::on_duplicate(cx, who).await?;
    let mtime = parse_mtime(cx.params.non_empty("mtime"))?;
    let mut body = take_body(cx)?;
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
            who,
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
