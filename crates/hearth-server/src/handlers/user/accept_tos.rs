//! user/accept_tos — accepts the current terms with the token from fetch_tos (160 otherwise).

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    cx.core
        .accept_terms(cx.caller()?.user_id, cx.params.get("acceptance_token"))
        .await?;
    Ok(Obj::new())
}
