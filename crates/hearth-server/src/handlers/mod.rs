//! One module per call, named as on the wire: `handlers/user/get_info.rs` serves
//! `user/get_info`. A handler takes the context, calls the core, and returns the response body.
//! The `calls!` table below is the only list of implemented calls (docs/calls.md derives from it).

pub mod system;
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
}

impl Ctx<'_> {
    /// The authenticated caller; 104 on calls reached without a token.
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller
            .ok_or_else(|| ApiError::new(codes::MISSING_TOKEN))
    }
}

pub type Reply = Result<Obj, ApiError>;

macro_rules! calls {
    ($($name:literal => $module:path,)*) => {
        /// Every call that has a handler, as `group/call`.
        pub const IMPLEMENTED: &[&str] = &[$($name),*];

        /// Runs the handler of `name`; a call of the table without a handler is 253.
        pub async fn dispatch(name: &str, cx: &Ctx<'_>) -> Reply {
            match name {
                $($name => { use $module as m; m::handle(cx).await })*
                _ => Err(ApiError::new(codes::UNKNOWN_API)),
            }
        }
    };
}

calls! {
    "system/get_editable_media" => system::get_editable_media,
    "system/get_info" => system::get_info,
    "system/get_limits" => system::get_limits,
    "system/get_mime_types" => system::get_mime_types,
    "system/get_status" => system::get_status,
    "system/get_supported_media" => system::get_supported_media,
    "system/get_version" => system::get_version,
    "user/accept_tos" => user::accept_tos,
    "user/destroy_action_token" => user::destroy_action_token,
    "user/fetch_tos" => user::fetch_tos,
    "user/get_action_token" => user::get_action_token,
    "user/get_avatar" => user::get_avatar,
    "user/get_devices" => user::get_devices,
    "user/get_info" => user::get_info,
    "user/get_limits" => user::get_limits,
    "user/get_session_token" => user::get_session_token,
    "user/get_settings" => user::get_settings,
    "user/register" => user::register,
    "user/renew_session_token" => user::renew_session_token,
    "user/set_avatar" => user::set_avatar,
    "user/set_settings" => user::set_settings,
    "user/update" => user::update,
    "user/upgrade_session_token" => user::upgrade_session_token,
}
