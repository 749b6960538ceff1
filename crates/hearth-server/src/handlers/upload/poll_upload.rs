//! upload/poll_upload — the state of an upload key: status 99 with the file, or with its
//! fileerror, 17 / 19 while resumable units arrive / assemble; bad key `-20`, unknown `-80`.

use hearth_api::keys::UploadKey;
use hearth_api::response::Obj;
use hearth_core::time_fmt;
use hearth_core::uploads::STATUS_DONE;

use crate::handlers::{Ctx, Reply};

const DONE: &str = "No more requests for this key";
const UNKNOWN: &str = "Unknown or no status available for this key";

fn bare(result: &str) -> Obj {
    Obj::new()
        .str("result", result)
        .str("status", "0")
        .str("description", UNKNOWN)
        .str("fileerror", "")
        .str("filename", "")
}

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let key = cx.params.non_empty("key").unwrap_or("");
    let Some(key) = UploadKey::parse(key) else {
        return Ok(Obj::new().obj("doupload", bare("-20")));
    };
    let Some(u) = cx.core.poll_upload(key.as_str()).await? else {
        return Ok(Obj::new().obj("doupload", bare("-80")));
    };
    let description = match u.status {
        STATUS_DONE => DONE,
        2 => "Key is ready for use",
        3 | 17 => "Upload is in progress",
        4 => "Upload is completed",
        5 => "Waiting for verification",
        6 => "Verifying File",
        11 => "Finished verification",
        18 => "Waiting for assembly",
        19 => "Assembling File",
        _ => UNKNOWN,
    };
    let mut d = Obj::new()
        .str("result", "0")
        .num("status", u.status)
        .str("description", description)
        .str("fileerror", u.fileerror.clone());
    if u.fileerror.is_empty() && !u.quickkey.is_empty() {
        d = d.str("quickkey", u.quickkey);
    }
    d = d
        .str("hash", u.hash)
        .str("filename", u.file_name)
        .num("size", u.size);
    if u.fileerror.is_empty() {
        d = d
            .str("created", time_fmt::date_time(u.created_us))
            .str("created_utc", time_fmt::date_time_utc(u.created_us))
            .num("revision", u.revision);
    }
    Ok(Obj::new().obj("doupload", d))
}
