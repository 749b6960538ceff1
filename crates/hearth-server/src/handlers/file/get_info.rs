//! file/get_info — details of one file (`file_info`) or of a comma list (`file_infos`, keys the
//! caller may not see left out); anonymous callers see public files.

use hearth_api::response::{Node, Obj};
use hearth_core::file_query::key_list;

use super::{file_info, target_keys};
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let keys = target_keys(cx, cx.caller).await?;
    let listed = cx
        .params
        .non_empty("quick_key")
        .is_some_and(|q| key_list(q).len() > 1);
    let infos = cx.core.file_infos(cx.caller, &keys).await?;
    if listed {
        let items = infos
            .iter()
            .map(|i| Node::Obj(file_info(i, &cx.base_url)))
            .collect();
        Ok(Obj::new().list("file_infos", items))
    } else {
        Ok(Obj::new().obj("file_info", file_info(&infos[0], &cx.base_url)))
    }
}
