//! file/delete — moves files (a comma list) to the trash; 210 for a file already there.

use hearth_api::response::Obj;

use super::target_keys;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = target_keys(cx, Some(caller)).await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rev = cx.core.delete_files(caller, &keys).await?;
    Ok(with_revision(Obj::new(), Some(rev)))
}
