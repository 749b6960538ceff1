//! upload/get_web_uploads — the caller's web uploads with their progress: running ones, or all
//! with `all_web_uploads=yes`; only `upload_key` when given.

use hearth_api::response::{Node, Obj};
use hearth_core::time_fmt;
use hearth_core::web_uploads::{status_text, WebUploadRow, WEB_DONE};

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let all = cx.params.yes_no("all_web_uploads")?.unwrap_or(false);
    let rows = cx
        .core
        .web_uploads(caller, all, cx.params.non_empty("upload_key"))
        .await?;
    Ok(Obj::new().list(
        "web_uploads",
        rows.iter().map(|w| Node::from(entry(w))).collect(),
    ))
}

fn entry(w: &WebUploadRow) -> Obj {
    let done = w.status >= WEB_DONE;
    let ok = done && w.error_status == 0;
    let percentage = match (ok, w.total) {
        (true, _) => 100,
        (false, t) if t > 0 => (w.received.min(t) * 100 / t).clamp(0, 100),
        _ => 0,
    };
    let size = if w.total >= 0 && !ok {
        w.total
    } else {
        w.received
    };
    Obj::new()
        .str("uploadkey", w.upload_key.clone())
        .yes_no("active", !done)
        .str("quickkey", w.quickkey.clone())
        .str("filename", w.file_name.clone())
        .str("url", w.url.clone())
        .str("created", time_fmt::date_time(w.created_us))
        .str("created_utc", time_fmt::date_time_utc(w.created_us))
        .num("status_code", w.status)
        .str("status", status_text(w.status))
        .num("error_status", w.error_status)
        .str("error_message", w.error_message.clone())
        .str("eta", eta(w))
        .num("size", size)
        .num("bytes_received", w.received)
        .str(
            "total_size",
            if w.total >= 0 {
                w.total.to_string()
            } else {
                String::new()
            },
        )
        .num("percentage", percentage)
}

/// Time remaining at the rate so far, as `N seconds`; empty when unknown or finished.
fn eta(w: &WebUploadRow) -> String {
    let elapsed_us = w.updated_us - w.created_us;
    if w.status >= WEB_DONE || w.total <= 0 || w.received <= 0 || elapsed_us <= 0 {
        return String::new();
    }
    let left = (w.total - w.received).max(0) as i128;
    let secs = left * elapsed_us as i128 / w.received as i128 / 1_000_000;
    format!("{secs} seconds")
}
