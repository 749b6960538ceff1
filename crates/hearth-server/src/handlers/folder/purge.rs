//! folder/purge — deletes folders (`folder_key` list or `folder_path`) and their content for
//! good, from the tree or from the trash.

use hearth_api::response::Obj;

use super::{mutation, sources};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let keys = sources(cx, caller, "folder_key", "folder_path").await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rev = cx.core.purge_folders(caller, &keys).await?;
    Ok(mutation(Obj::new(), rev))
}
