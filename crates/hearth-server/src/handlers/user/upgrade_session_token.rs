//! user/upgrade_session_token — a new v2 token from a v1 token (the JS SDK's credential login).

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let issued = cx.core.upgrade_session(cx.caller()?).await?;
    Ok(super::token_fields(issued))
}
