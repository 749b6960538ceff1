//! file/get_versions — the stored revisions of a file: the head, then the earlier versions
//! kept (at most the account's `previous_file_versions`), newest first.

use hearth_api::response::{Node, Obj};
use hearth_core::time_fmt;

use super::target_key;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let key = target_key(cx, caller).await?;
    let versions = cx.core.file_versions(caller, Some(&key)).await?;
    let items = versions
        .iter()
        .map(|v| {
            Node::Obj(
                Obj::new()
                    .num("revision", v.revision)
                    .str("date", time_fmt::date_time(v.created_us))
                    .yes_no("head", v.head),
            )
        })
        .collect();
    Ok(Obj::new().list("file_versions", items))
}
