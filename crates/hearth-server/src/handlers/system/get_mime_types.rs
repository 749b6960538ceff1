//! system/get_mime_types — the extension → MIME type table the server uses for downloads.

use hearth_api::response::{Node, Obj};

use super::media::MIME_TABLE;
use crate::handlers::{Ctx, Reply};

pub async fn handle(_cx: &Ctx<'_>) -> Reply {
    let items = MIME_TABLE
        .iter()
        .map(|m| {
            Node::Obj(
                Obj::new()
                    .str("extension", m.extension)
                    .str("mimetype", m.mimetype)
                    .str("type", m.filetype)
                    .num("view", m.view as u64)
                    .num("edit", m.edit as u64),
            )
        })
        .collect();
    Ok(Obj::new().list("mime_types", items))
}
