//! user/update — profile changes; e-mail and password need `current_password`, and a new
//! password ends the account's other sessions.

use hearth_api::response::Obj;
use hearth_core::accounts::UpdateRequest;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let p = cx.params;
    cx.core
        .update_user(
            cx.caller()?,
            UpdateRequest {
                email: p.non_empty("email"),
                password: p.non_empty("password"),
                current_password: p.get("current_password"),
                first_name: p.get("first_name"),
                last_name: p.get("last_name"),
                display_name: p.get("display_name"),
                birth_date: p.get("birth_date"),
                gender: p.non_empty("gender"),
                website: p.get("website"),
                location: p.get("location"),
            },
        )
        .await?;
    Ok(Obj::new())
}
