//! One module per call, named as on the wire: `handlers/user/get_info.rs` serves
//! `user/get_info`. A handler takes the context, calls the core, and returns the response body.
//! The `calls!` table below is the only list of implemented calls (docs/calls.md derives from it).

pub mod device;
pub mod entries;
pub mod file;
pub mod folder;
pub mod system;
pub mod upload;
pub mod user;

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::sessions::Caller;
use hearth_core::Core;

use crate::params::Params;

/// What a handler gets.
pub struct Ctx<'a> {
    pub core: &'a Core,
    pub params: &'a Params,
    /// Present when the call carried a valid token.
    pub caller: Option<&'a Caller>,
    /// `scheme://host:port` of the request, for links.
    pub base_url: String,
    /// The unread body and upload headers of a byte-carrying upload call (`upload/simple`);
    /// the handler takes it.
    pub upload: std::sync::Mutex<Option<upload::UploadBody>>,
    /// A raw answer that replaces the envelope of a successful call (`file/zip`'s archive);
    /// set with [`Ctx::answer_raw`]. It never rotates the v2 key.
    pub raw: std::sync::Mutex<Option<axum::response::Response>>,
}

impl Ctx<'_> {
    /// The authenticated caller; 104 on calls reached without a token.
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller
            .ok_or_else(|| ApiError::new(codes::MISSING_TOKEN))
    }

    /// Answers with `response` instead of an envelope when the handler then returns `Ok`.
    pub fn answer_raw(&self, response: axum::response::Response) {
        *self.raw.lock().unwrap_or_else(|e| e.into_inner()) = Some(response);
    }
}

pub type Reply = Result<Obj, ApiError>;

/// Declares a group's implemented calls: `IMPLEMENTED` (its `group/call` names) and
/// `dispatch`, which runs the handler module of the same name.
macro_rules! calls {
    ($($name:literal => $module:path,)*) => {
        /// Every call of this group that has a handler, as `group/call`.
        pub const IMPLEMENTED: &[&str] = &[$($name),*];

        /// Runs the handler of `name`; a call without a handler is 253.
        pub async fn dispatch(name: &str, cx: &$crate::handlers::Ctx<'_>) -> $crate::handlers::Reply {
            match name {
                $($name => { use $module as m; m::handle(cx).await })*
                _ => Err(hearth_api::errors::ApiError::new(hearth_api::errors::codes::UNKNOWN_API)),
            }
        }
    };
}
pub(crate) use calls;

/// The groups that have handlers, each with its `IMPLEMENTED` list.
const GROUPS: &[(&str, &[&str])] = &[
    ("device", device::IMPLEMENTED),
    ("file", file::IMPLEMENTED),
    ("folder", folder::IMPLEMENTED),
    ("system", system::IMPLEMENTED),
    ("upload", upload::IMPLEMENTED),
    ("user", user::IMPLEMENTED),
];

/// Every call that has a handler, as `group/call` (docs/calls.md derives from it).
pub fn implemented() -> Vec<&'static str> {
    GROUPS
        .iter()
        .flat_map(|(_, calls)| calls.iter().copied())
        .collect()
}

/// Runs the handler of `name` (`group/call`); a call of the table without a handler is 253.
pub async fn dispatch(name: &str, cx: &Ctx<'_>) -> Reply {
    match name.split_once('/').map(|(g, _)| g) {
        Some("device") => device::dispatch(name, cx).await,
        Some("file") => file::dispatch(name, cx).await,
        Some("folder") => folder::dispatch(name, cx).await,
        Some("system") => system::dispatch(name, cx).await,
        Some("upload") => upload::dispatch(name, cx).await,
        Some("user") => user::dispatch(name, cx).await,
        _ => Err(ApiError::new(codes::UNKNOWN_API)),
    }
}
