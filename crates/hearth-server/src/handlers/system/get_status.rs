//! system/get_status — the state of the back end: 1 when the metadata database answers.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let database = if cx.core.db().ping().await { "1" } else { "0" };
    // There is no memcache: report the in-process caches as healthy.
    Ok(Obj::new().str("database", database).str("memcache", "1"))
}
