//! user/renew_session_token — extends the token's life; the token string stays the same.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    cx.core.renew_session(cx.caller()?).await?;
    let token = cx.params.get("session_token").unwrap_or_default();
    Ok(Obj::new().str("session_token", token))
}
