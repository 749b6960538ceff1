//! user/set_avatar — `action=set_default|remove`, or `quick_key` (an image file the caller can
//! read: the avatar refers to it; a non-image is 142), or `url` (fetched like a web upload, stored
//! as a file in the caller's root, then used as with `quick_key`).

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;

use crate::handlers::entries::media_of;
use crate::handlers::system::media::MIME_TABLE;
use crate::handlers::{Ctx, Reply};

/// Served by the server itself (see crate::assets).
pub const DEFAULT_AVATAR_PATH: &str = "/avatar/default.png";

/// Why `user/get_avatar` shows the default image after `quick_key=`.
pub const FILE_AVATAR_NOT_SERVED: &str =
    "Avatars from stored images are shown once downloads are served; until then user/get_avatar answers the default image";

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let user_id = caller.user_id;
    match cx.params.non_empty("action") {
        Some("set_default") => {
            cx.core
                .set_avatar_plain(user_id, DEFAULT_AVATAR_PATH)
                .await?
        }
        Some("remove") => cx.core.set_avatar_plain(user_id, "").await?,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
        None => {
            if let Some(key) = cx.params.non_empty("quick_key") {
                let f = cx
                    .core
                    .set_avatar_from_file(
                        caller,
                        key.trim(),
                        |f| media_of(&f.name).1 == "image",
                        DEFAULT_AVATAR_PATH,
                    )
                    .await?;
                return Ok(Obj::new()
                    .str("quick_key", f.quickkey)
                    .str("avatar_error_message", FILE_AVATAR_NOT_SERVED));
            }
            if let Some(url) = cx.params.non_empty("url") {
                let a = cx
                    .core
                    .set_avatar_from_url(
                        caller,
                        url,
                        image_extension,
                        |name| media_of(name).1 == "image",
                        DEFAULT_AVATAR_PATH,
                    )
                    .await?;
                let rev = cx.core.device_revision(user_id).await?;
                return Ok(Obj::new()
                    .str("quick_key", a.file.quickkey)
                    .str("upload_key", a.upload_key)
                    .num("new_device_revision", rev)
                    .num("device_revision", rev)
                    .str("avatar_error_message", FILE_AVATAR_NOT_SERVED));
            }
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
    }
    Ok(Obj::new())
}

/// The extension of an image MIME type in the server's MIME table.
fn image_extension(mime: &str) -> Option<&'static str> {
    MIME_TABLE
        .iter()
        .find(|m| m.filetype == "image" && m.mimetype.eq_ignore_ascii_case(mime))
        .map(|m| m.extension)
}
