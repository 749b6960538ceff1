//! file/one_time_key — a one-time download key for a live file the caller owns, or with
//! `get_counts_only=yes` only the 24-hour allowance; `links.download` is the one-time URL.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::links::{OneTimeCounts, OneTimeOptions};
use hearth_core::tree::FileRow;

use super::NOT_SERVED;
use crate::handlers::entries::media_of;
use crate::handlers::{Ctx, Reply};

/// The options both one-time key calls take: `duration` (minutes; non-numeric or negative is
/// 129), `email_notification`, `burn_after_use` (yes/no, else 129), `success_callback_url`,
/// `error_callback_url`, `bind_ip`.
pub fn options<'a>(cx: &'a Ctx<'_>) -> Result<OneTimeOptions<'a>, ApiError> {
    let p = cx.params;
    let duration_minutes = match p.non_empty("duration") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .ok()
                .filter(|m| *m >= 0)
                .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS))?,
        ),
    };
    Ok(OneTimeOptions {
        duration_minutes,
        email_notification: p.yes_no("email_notification")?,
        success_callback_url: p.get("success_callback_url").map(str::trim),
        error_callback_url: p.get("error_callback_url").map(str::trim),
        bind_ip: p.get("bind_ip"),
        burn_after_use: p.yes_no("burn_after_use")?,
    })
}

/// The allowance fields both calls answer.
pub fn with_counts(o: Obj, c: OneTimeCounts) -> Obj {
    o.num("one_time_key_request_count", c.count)
        .num("one_time_key_request_max_count", c.max)
}

/// `links`: `download`, the one-time URL (`/download/<quickkey>/<name>?otk=<token>`), and one
/// `*_error_message` per other use case of the file (viewers are not served: `view` for images
/// and documents, `watch` for video, `listen` for audio).
fn links(base_url: &str, f: &FileRow, token: &str) -> Obj {
    let (_, filetype, view, _) = media_of(&f.name);
    let url = crate::download::url(base_url, f, &format!("otk={token}"));
    let mut o = Obj::new().str("download", url);
    if view != 0
        || matches!(
            filetype,
            "image" | "document" | "spreadsheet" | "presentation"
        )
    {
        o = o.str("view_error_message", NOT_SERVED);
    }
    match filetype {
        "video" => o.str("watch_error_message", NOT_SERVED),
        "audio" => o.str("listen_error_message", NOT_SERVED),
        _ => o,
    }
}

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    if cx.params.yes_no("get_counts_only")? == Some(true) {
        let c = cx.core.one_time_key_counts(caller).await?;
        return Ok(with_counts(Obj::new(), c));
    }
    let o = options(cx)?;
    let k = cx
        .core
        .create_one_time_key(caller, cx.params.non_empty("quick_key").map(str::trim), &o)
        .await?;
    let links = links(&cx.base_url, &k.file, &k.token);
    Ok(with_counts(Obj::new(), k.counts)
        .str("token", k.token)
        .str("quickkey", k.file.quickkey.clone())
        .obj("links", links))
}
