//! user/destroy_action_token — ends one of the caller's action tokens at once.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    cx.core
        .destroy_action_token(cx.caller()?, cx.params.get("action_token"))
        .await?;
    Ok(Obj::new())
}
