//! user/get_avatar — the URL of the caller's avatar (230 when there is none).

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let u = cx.core.user(cx.caller()?.user_id).await?;
    if u.avatar.is_empty() {
        return Err(ApiError::new(codes::NO_AVATAR));
    }
    let url = if u.avatar.starts_with('/') {
        format!("{}{}", cx.base_url, u.avatar)
    } else {
        u.avatar
    };
    Ok(Obj::new().str("avatar", url))
}
