//! user/register — creates an account; refused (114) unless `allow_registration` is on.

use hearth_api::response::Obj;
use hearth_core::time_fmt;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let p = cx.params;
    let user = cx
        .core
        .register(
            p.get("application_id"),
            p.get("email"),
            p.get("password"),
            p.get("first_name").unwrap_or_default(),
            p.get("last_name").unwrap_or_default(),
        )
        .await?;
    Ok(Obj::new()
        .str("email", user.email)
        .str("created", time_fmt::date_time(user.created_us))
        .str("created_utc", time_fmt::date_time_utc(user.created_us))
        .str("pkey", user.pkey))
}
