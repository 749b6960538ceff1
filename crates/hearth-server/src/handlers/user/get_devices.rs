//! user/get_devices — the caller's registered sync devices. Devices are registered with
//! device/add_device, which this server does not serve yet, so the list is the empty list.

use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    cx.caller()?;
    Ok(Obj::new().list("devices", Vec::new()))
}
