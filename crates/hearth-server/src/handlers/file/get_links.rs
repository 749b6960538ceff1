//! file/get_links — one `links` entry per requested key: `direct_download` is a working URL and
//! `normal_download` the file's landing page (the owner's private files get signed ones), other
//! types their `*_error_message`.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};
use hearth_core::tree::{FileRow, FileView};

use super::{target_keys, NOT_SERVED};
use crate::handlers::entries::media_of;
use crate::handlers::{Ctx, Reply};
use crate::{download, pages};

/// The link types clients may ask for (`one_time` is the old Java SDK's name of
/// `one_time_download`).
const TYPES: &[&str] = &[
    "view",
    "edit",
    "normal_download",
    "direct_download",
    "one_time_download",
    "listen",
    "watch",
    "streaming",
];

/// The requested link types, in the order asked; none asked: `None` (all that apply).
fn requested(value: Option<&str>) -> Result<Option<Vec<&'static str>>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for t in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let t = if t == "one_time" {
            "one_time_download"
        } else {
            t
        };
        let known = TYPES
            .iter()
            .find(|k| **k == t)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?;
        if !out.contains(known) {
            out.push(*known);
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// The link types that apply to a file when none was asked for.
fn applicable(f: &FileRow) -> Vec<&'static str> {
    let (_, filetype, view, edit) = media_of(&f.name);
    let mut out = vec!["normal_download", "direct_download"];
    if view != 0 {
        out.push("view");
    }
    if edit != 0 {
        out.push("edit");
    }
    match filetype {
        "audio" => out.extend(["listen", "streaming"]),
        "video" => out.extend(["watch", "streaming"]),
        _ => {}
    }
    out
}

/// Why a visitor gets no direct link to someone else's public file with a password.
const PASSWORD_NEEDED: &str = "This file is password protected";

fn download_open(f: &FileRow) -> bool {
    hearth_core::downloads::open_to_all(f)
}

/// `normal_download`: the landing page (crate::pages) — signed like the direct link for the
/// owner's files that are not open to all, so the owner's link shows them too.
async fn landing_page(cx: &Ctx<'_>, view: &FileView) -> Result<String, ApiError> {
    let url = pages::file_url(&cx.base_url, &view.row);
    if view.owner && !download_open(&view.row) {
        let q = cx.core.signed_download_query(&view.row).await?;
        return Ok(format!("{url}?{q}"));
    }
    Ok(url)
}

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let types = requested(cx.params.non_empty("link_type"))?;
    let keys = target_keys(cx, Some(caller)).await?;
    let mut links = Vec::new();
    for (key, found) in cx.core.file_lookups(Some(caller), &keys).await? {
        let mut o = Obj::new().str("quickkey", key);
        match found {
            Ok(view) => {
                let types = types.clone().unwrap_or_else(|| applicable(&view.row));
                for t in types {
                    o = match t {
                        "direct_download" if view.owner || download_open(&view.row) => o.str(
                            t,
                            download::link_for(cx.core, &cx.base_url, &view.row).await?,
                        ),
                        "direct_download" => o.str(format!("{t}_error_message"), PASSWORD_NEEDED),
                        "normal_download" => o.str(t, landing_page(cx, &view).await?),
                        _ => o.str(format!("{t}_error_message"), NOT_SERVED),
                    };
                }
            }
            Err(e) => o = o.str("error", e.message),
        }
        links.push(Node::Obj(o));
    }
    Ok(Obj::new().list("links", links))
}
