//! The upload group: pre-flight (`check`), dedup (`instant`), whole-file uploads (`simple`,
//! alias `upload.php`) and units (`resumable`) streamed to disk, and `poll_upload` for keys.

pub mod add_web_upload;
pub mod check;
pub mod filedrop;
pub mod get_options;
pub mod get_web_uploads;
pub mod instant;
pub mod patch;
pub mod poll_upload;
pub mod resumable;
pub mod set_options;
pub mod simple;
pub mod update;

super::calls! {
    "upload/add_web_upload" => add_web_upload,
    "upload/check" => check,
    "upload/get_options" => get_options,
    "upload/get_web_uploads" => get_web_uploads,
    "upload/instant" => instant,
    "upload/patch" => patch,
    "upload/poll_upload" => poll_upload,
    "upload/resumable" => resumable,
    "upload/set_options" => set_options,
    "upload/simple" => simple,
    "upload/update" => update,
}

use bytes::Bytes;
use futures_util::StreamExt;
use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::uploads::{ByteSource, Destination, ResumableState};

use super::Ctx;

/// The upload headers, as sent (`X-Filename` decoded from its raw UTF-8 bytes).
#[derive(Clone, Debug, Default)]
pub struct UploadHeaders {
    pub filename: Option<String>,
    pub filesize: Option<String>,
    pub filehash: Option<String>,
    /// `X-Unit-Id`, `X-Unit-Hash`, `X-Unit-Size` (upload/resumable).
    pub unit_id: Option<String>,
    pub unit_hash: Option<String>,
    pub unit_size: Option<String>,
    pub content_type: String,
}

/// Where the file bytes come from: the raw body, or the file part of a multipart body.
pub enum UploadSource {
    Raw(axum::body::BodyDataStream),
    Part(Box<(multer::Multipart<'static>, multer::Field<'static>)>),
    /// A multipart body without a file part.
    Empty,
}

/// The unread body of a byte-carrying upload call and its headers.
pub struct UploadBody {
    pub headers: UploadHeaders,
    /// The multipart file part's name from its `Content-Disposition`.
    pub part_filename: Option<String>,
    pub source: UploadSource,
}

impl ByteSource for UploadSource {
    type Chunk = Bytes;
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ()> {
        match self {
            UploadSource::Raw(s) => s.next().await.transpose().map_err(|_| ()),
            UploadSource::Part(p) => p.1.chunk().await.map_err(|_| ()),
            UploadSource::Empty => Ok(None),
        }
    }
}

/// The body of a byte-carrying upload call (taken once).
pub fn take_body(cx: &Ctx<'_>) -> Result<UploadBody, ApiError> {
    let mut slot = cx
        .upload
        .lock()
        .map_err(|_| ApiError::new(codes::INTERNAL))?;
    slot.take().ok_or_else(|| ApiError::new(codes::INTERNAL))
}

/// `folder_key` (legacy `uploadkey`) and `path`.
pub fn destination<'a>(cx: &'a Ctx<'_>) -> Destination<'a> {
    Destination {
        folder_key: cx.params.any_of(&["folder_key", "uploadkey"]),
        path: cx.params.non_empty("path"),
    }
}

/// `size`: a non-negative integer, else 129.
pub fn size_param(cx: &Ctx<'_>) -> Result<Option<i64>, ApiError> {
    match cx.params.non_empty("size") {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS)),
    }
}

/// The `resumable_upload` object (spec/upload.md §3.3): bitmap words as decimal strings.
pub fn resumable_obj(r: &ResumableState) -> Obj {
    let words = r.words();
    let mut o = Obj::new()
        .yes_no("all_units_ready", r.all_units_ready)
        .num("number_of_units", r.number_of_units)
        .num("unit_size", r.unit_size)
        .obj(
            "bitmap",
            Obj::new().num("count", words.len() as i64).list(
                "words",
                words.iter().map(|w| Node::from(w.to_string())).collect(),
            ),
        );
    if let Some(k) = &r.upload_key {
        o = o.str("upload_key", k.clone());
    }
    o
}
