//! system/get_supported_media — extensions the viewer previews; `group_by_filetype=yes` groups them.

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    super::media::extensions_reply(cx, "viewable", |m| m.view != 0)
}
