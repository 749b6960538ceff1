//! system/get_version — the current API version (also in every envelope).

use hearth_api::calls::CURRENT_API_VERSION;
use hearth_api::response::Obj;

use crate::handlers::{Ctx, Reply};

pub async fn handle(_cx: &Ctx<'_>) -> Reply {
    // The envelope writer adds `current_api_version`; the body repeats nothing.
    let _ = CURRENT_API_VERSION;
    Ok(Obj::new())
}
