//! folder/purge — deletes folders (`folder_key` list or `folder_path`) and their content for
//! good, from the tree or from the trash. A large purge runs as a background job.

use hearth_api::response::Obj;

use super::sources;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = sources(cx, caller, "folder_key", "folder_path").await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let done = cx.core.purge_folders_or_queue(caller, &keys).await?;
    Ok(with_revision(
        Obj::new().yes_no("asynchronous", done.asynchronous()),
        Some(done.revision()),
    ))
}
