//! file/update_file — `to_quickkey` (alias `quick_key`) gets the content of `from_quickkey` as a
//! new version; both must be the caller's live files; the same content is 238.

use hearth_api::response::Obj;

use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let to = p.any_of(&["to_quickkey", "quick_key"]).map(str::trim);
    let from = p.non_empty("from_quickkey").map(str::trim);
    let rev = cx.core.update_file_content(caller, to, from).await?;
    Ok(with_revision(Obj::new(), Some(rev)))
}
