//! user/get_action_token — an unsigned token for uploads or images, `lifespan` in minutes.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let token = cx
        .core
        .create_action_token(
            cx.caller()?,
            cx.params.get("type"),
            cx.params.get("lifespan"),
        )
        .await?;
    Ok(Obj::new().str("action_token", token))
}
