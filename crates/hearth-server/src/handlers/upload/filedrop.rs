//! Uploads with a `filedrop_key` (spec/file-extras.md §2): `upload/check`, `instant`, `simple`
//! and `resumable` into a FileDrop's folder, with or without a session token (the key is the
//! credential). check, simple and resumable run their usual handlers for an
//! [`Uploader::FileDrop`] (hearth-core keeps the answers free of anything about the owner's
//! account; check leaves out the storage figures); `instant` always answers 129.

use hearth_api::calls::CallSpec;
use hearth_api::errors::{codes, ApiError};
use hearth_core::uploads::{UploadDuplicate, Uploader};

use super::size_param;
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

/// Who uploads: the FileDrop of a `filedrop_key`, else the signed-in caller.
pub fn uploader<'a>(cx: &'a Ctx<'_>) -> Result<Uploader<'a>, ApiError> {
    Ok(match key(cx) {
        Some(k) => Uploader::FileDrop(k),
        None => Uploader::Owner(cx.caller()?),
    })
}

/// `action_on_duplicate`: without it the user's default (upload/set_options) applies; a
/// FileDrop upload validates it as usual but always keeps both files.
pub async fn on_duplicate(cx: &Ctx<'_>, who: Uploader<'_>) -> Result<UploadDuplicate, ApiError> {
    let asked = cx.params.non_empty("action_on_duplicate");
    match who {
        Uploader::Owner(caller) => cx.core.upload_duplicate(caller.user_id, asked).await,
        Uploader::FileDrop(_) => UploadDuplicate::parse(asked).map(|_| UploadDuplicate::Keep),
    }
}

/// `upload/instant`: 214 for a bad key, else as for content the account does not hold.
pub async fn instant(cx: &Ctx<'_>, key: &str) -> Reply {
    size_param(cx)?;
    UploadDuplicate::parse(cx.params.non_empty("action_on_duplicate"))?;
    cx.core
        .filedrop_instant(key, cx.params.non_empty("filename"))
        .await?;
    Err(ApiError::new(codes::INVALID_PARAMS))
}
