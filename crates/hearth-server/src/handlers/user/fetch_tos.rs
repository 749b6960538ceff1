//! user/fetch_tos — the current terms of service and whether the caller accepted them.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let t = cx.core.terms_of_service(cx.caller()?.user_id).await?;
    let mut tos = Obj::new()
        .str("revision", t.revision)
        .str("terms", t.terms)
        .str("date", t.date)
        .yes_no("user_accepted_terms", t.accepted);
    if !t.accepted {
        tos = tos.str("acceptance_token", t.acceptance_token);
    }
    Ok(Obj::new().obj("terms_of_service", tos))
}
