//! system/get_info — the system configuration: version, time zone, media, terms, limits.

use hearth_api::response::{Node, Obj};

use super::media::{extensions, MIME_TABLE};
use crate::handlers::{Ctx, Reply};

/// Thumbnail sizes by size id (the conversion server's 0–9, a–f table).
const IMAGE_SIZES: &[(u32, u32, bool)] = &[
    (107, 80, true),
    (191, 145, true),
    (335, 251, false),
    (515, 386, false),
    (800, 600, false),
    (1024, 768, false),
    (1280, 960, false),
    (1600, 1200, false),
];

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let s = cx.core.settings();
    let l = &s.limits;
    let ext_obj = |pred: fn(&super::media::MimeEntry) -> bool| {
        Obj::new().list(
            "extensions",
            extensions(MIME_TABLE.iter().filter(|m| pred(m)))
                .into_iter()
                .map(Node::Str)
                .collect(),
        )
    };
    let sizes = IMAGE_SIZES
        .iter()
        .map(|(w, h, thumb)| {
            Node::Obj(
                Obj::new()
                    .num("width", *w as u64)
                    .num("height", *h as u64)
                    .yes_no("thumbnail", *thumb),
            )
        })
        .collect();
    let tos = cx.core.terms_text();
    Ok(Obj::new()
        .str("timezone", "UTC")
        .str("timezone_offset", "0")
        .obj("viewable", ext_obj(|m| m.view != 0))
        .obj("editable", ext_obj(|m| m.edit != 0))
        .list("image_sizes", sizes)
        .obj(
            "terms_of_service",
            Obj::new()
                .str("revision", s.tos_revision.clone())
                .str("terms", tos)
                .str("date", hearth_core::time_fmt::date_time(0)),
        )
        .obj(
            "privacy_policy",
            Obj::new()
                .str("revision", "1.0")
                .str("terms", "This server keeps your files and account data on the operator's machines and shares them only as you choose.")
                .str("date", hearth_core::time_fmt::date_time(0)),
        )
        .num("max_keys", l.max_keys)
        .num("max_objects", l.max_objects)
        .num("max_image_size", l.max_image_size)
        .list("print_services", Vec::new()))
}
