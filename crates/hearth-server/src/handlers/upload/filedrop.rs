//! Uploads with a `filedrop_key` (spec/file-extras.md §2): `upload/check`, `instant`, `simple`
//! and `resumable` into a FileDrop's folder, with or without a session token (the key is the
//! credential). The calls answer their usual shapes minus anything about the owner's account:
//! `check` sends no storage figures, hash or duplicate details; `instant` always answers 129.

use hearth_api::calls::CallSpec;
use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::tree::parse_mtime;
use hearth_core::uploads::{
    CheckRequest, ResumableOutcome, ResumableRequest, SimpleOutcome, SimpleRequest, UploadDuplicate,
};

use super::{destination, resumable_obj, size_param, UploadSource};
use crate::handlers::{Ctx, Reply};
use crate::params::Params;

/// The calls that take a `filedrop_key`.
const CALLS: &[&str] = &["check", "instant", "simple", "resumable"];

/// Whether a call without a session token may go on to its handler: an upload call that takes
/// a `filedrop_key` and got one (the handler checks the key: 214).
pub fn anonymous_allowed(spec: &CallSpec, params: &Params) -> bool {
    spec.group == "upload"
        && CALLS.contains(&spec.call)
        && params.non_empty("filedrop_key").is_some()
}

/// The `filedrop_key` of the request, if any: such an upload goes to the FileDrop, whoever
/// calls (`folder_key`/`uploadkey` are then ignored).
pub fn key<'a>(cx: &'a Ctx<'_>) -> Option<&'a str> {
    cx.params.non_empty("filedrop_key")
}

/// `action_on_duplicate` is validated as usual, but a FileDrop upload always keeps both files.
fn check_duplicate_param(cx: &Ctx<'_>) -> Result<(), ApiError> {
    UploadDuplicate::parse(cx.params.non_empty("action_on_duplicate")).map(|_| ())
}

/// `upload/check`: only what the uploader may know.
pub async fn check(cx: &Ctx<'_>, key: &str) -> Reply {
    let p = cx.params;
    let size = size_param(cx)?;
    let resumable = p.yes_no("resumable")?.unwrap_or(false);
    let r = cx
        .core
        .filedrop_check(
            key,
            CheckRequest {
                filename: p.non_empty("filename"),
                hash: p.non_empty("hash"),
                size,
                dest: destination(cx),
                resumable,
            },
        )
        .await?;
    let mut o = Obj::new()
        .yes_no("hash_exists", r.hash_exists)
        .yes_no("in_account", r.hash_exists)
        .yes_no("in_folder", r.in_folder)
        .yes_no("file_exists", r.file_exists)
        .yes_no("different_hash", r.different_hash)
        .yes_no("storage_limit_exceeded", r.limit_exceeded);
    if let Some(r) = &r.resumable {
        o = o.obj("resumable_upload", resumable_obj(r));
    }
    Ok(o)
}

/// `upload/instant`: 214 for a bad key, else as for content the account does not hold.
pub async fn instant(cx: &Ctx<'_>, key: &str) -> Reply {
    size_param(cx)?;
    check_duplicate_param(cx)?;
    cx.core
        .filedrop_instant(key, cx.params.non_empty("filename"))
        .await?;
    Err(ApiError::new(codes::INVALID_PARAMS))
}

/// `upload/simple`: the whole file into the FileDrop; `doupload.key` polls as usual.
pub async fn simple(cx: &Ctx<'_>, key: &str) -> Reply {
    check_duplicate_param(cx)?;
    let mtime = parse_mtime(cx.params.non_empty("mtime"))?;
    let body = cx
        .upload
        .lock()
        .map_err(|_| ApiError::new(codes::INTERNAL))?
        .take();
    let Some(mut body) = body else {
        return Err(ApiError::new(codes::INTERNAL));
    };
    let multipart = !matches!(body.source, UploadSource::Raw(_));
    let filename = body
        .headers
        .filename
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| multipart.then(|| body.part_filename.clone()).flatten());
    let outcome = cx
        .core
        .filedrop_simple(
            key,
            SimpleRequest {
                filename: filename.as_deref(),
                declared_size: body.headers.filesize.as_deref(),
                declared_hash: body.headers.filehash.as_deref(),
                dest: destination(cx),
                on_duplicate: UploadDuplicate::Keep,
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

/// `upload/resumable`: one unit of the FileDrop's session.
pub async fn resumable(cx: &Ctx<'_>, key: &str) -> Reply {
    check_duplicate_param(cx)?;
    let mtime = parse_mtime(cx.params.non_empty("mtime"))?;
    let body = cx
        .upload
        .lock()
        .map_err(|_| ApiError::new(codes::INTERNAL))?
        .take();
    let Some(mut body) = body else {
        return Err(ApiError::new(codes::INTERNAL));
    };
    let h = body.headers.clone();
    let outcome = cx
        .core
        .filedrop_resumable(
            key,
            ResumableRequest {
                filename: h.filename.as_deref(),
                declared_size: h.filesize.as_deref(),
                declared_hash: h.filehash.as_deref(),
                unit_id: h.unit_id.as_deref(),
                unit_hash: h.unit_hash.as_deref(),
                unit_size: h.unit_size.as_deref(),
                dest: destination(cx),
                on_duplicate: UploadDuplicate::Keep,
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
