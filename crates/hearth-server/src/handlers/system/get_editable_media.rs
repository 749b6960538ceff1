//! system/get_editable_media — extensions the editor opens; `group_by_filetype=yes` groups them.

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    super::media::extensions_reply(cx, "editable", |m| m.edit != 0)
}
