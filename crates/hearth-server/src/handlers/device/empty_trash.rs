//! device/empty_trash — purges everything in the trash for good; a large trash is emptied by a
//! background job (`asynchronous: yes` with the revision at acceptance).

use hearth_api::response::Obj;
use hearth_core::Core;

use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let done = cx.core.empty_trash_or_queue(caller).await?;
    Ok(with_revision(
        Obj::new().yes_no("asynchronous", done.asynchronous()),
        Some(done.revision()),
    ))
}
