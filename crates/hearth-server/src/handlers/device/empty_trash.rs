//! device/empty_trash — purges everything in the trash for good. It always runs inline, so the
//! answer is `asynchronous: no` with the revision after the purge.

use hearth_api::response::Obj;
use hearth_core::Core;

use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let revision = cx.core.empty_trash(caller).await?;
    Ok(with_revision(
        Obj::new().str("asynchronous", "no"),
        Some(revision),
    ))
}
