//! user/set_avatar — `action=set_default|remove`. Setting from a stored image (`quick_key`)
//! or a URL needs the file tree and web uploads, which are not served yet.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

/// Served by the server itself (see crate::assets).
pub const DEFAULT_AVATAR_PATH: &str = "/avatar/default.png";

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let user_id = cx.caller()?.user_id;
    match cx.params.non_empty("action") {
        Some("set_default") => cx.core.set_avatar(user_id, DEFAULT_AVATAR_PATH).await?,
        Some("remove") => cx.core.set_avatar(user_id, "").await?,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
        None => {
            if cx.params.non_empty("quick_key").is_some() {
                // No stored file can be named yet: every quickkey is unknown.
                return Err(ApiError::new(codes::INVALID_QUICKKEY));
            }
            if cx.params.non_empty("url").is_some() {
                return Err(ApiError::with_message(
                    codes::INVALID_URL,
                    "Setting an avatar from a URL is not supported by this server yet.".into(),
                ));
            }
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
    }
    Ok(Obj::new())
}
