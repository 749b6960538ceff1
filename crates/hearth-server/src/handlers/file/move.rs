//! file/move — moves files (a comma list) into a folder of the caller (default the root); a
//! file in the trash moved to a live folder leaves the trash.

use hearth_api::response::Obj;
use hearth_core::tree::Target;

use super::target_keys;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = target_keys(cx, Some(caller)).await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let dest = Target::of(
        cx.params.non_empty("folder_key"),
        cx.params.non_empty("folder_path"),
    );
    let rev = cx.core.move_files(caller, &keys, dest).await?;
    Ok(with_revision(Obj::new(), Some(rev)))
}
