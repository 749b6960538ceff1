//! file/copy — copies files (own, or someone else's public ones) into a folder of the caller
//! (default the root); the copies share the stored content. Answers the new quickkeys.

use hearth_api::response::{Node, Obj};
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
    let (new_keys, rev) = cx.core.copy_files(caller, &keys, dest).await?;
    let body = Obj::new()
        .list(
            "new_quickkeys",
            new_keys.into_iter().map(Node::Str).collect(),
        )
        .str("skipped_count", "0")
        .str("other_count", "0");
    Ok(with_revision(body, Some(rev)))
}
