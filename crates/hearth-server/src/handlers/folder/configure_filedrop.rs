//! folder/configure_filedrop — `action=enable` makes a live folder the caller owns a FileDrop
//! (or changes its settings; the key stays), `action=disable` turns it off.

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::links::{FiledropAction, FiledropOptions};
use hearth_core::tree::wire_key;

use super::target;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

/// Where the hosted drop page and its embed code would be.
pub const NOT_SERVED: &str = "FileDrop pages are not available on this server yet";

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let action = match p.non_empty("action").map(str::trim) {
        None => return Err(ApiError::new(codes::MISSING_PARAMS)),
        Some("enable") => FiledropAction::Enable(FiledropOptions {
            allow_description: p.yes_no("allow_description")?,
            allow_multiple_uploads: p.yes_no("allow_multiple_uploads")?,
            embed_size: p.non_empty("embed_size").map(str::trim),
            message: p.get("message"),
            notification_emails: p.yes_no("notification_emails")?,
        }),
        Some("disable") => FiledropAction::Disable,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    let folder = target(cx, "folder_key", "folder_path");
    let (folder, drop, rev) = cx.core.configure_filedrop(caller, folder, &action).await?;
    let mut o = Obj::new().str("folderkey", wire_key(&folder));
    if let Some(d) = drop {
        o = o
            .str("filedrop_key", d.filedrop_key)
            .yes_no("dropbox_enabled", true)
            .yes_no("allow_description", d.allow_description)
            .yes_no("allow_multiple_uploads", d.allow_multiple_uploads)
            .str("embed_size", d.embed_size)
            .str("message", d.message)
            .yes_no("notification_emails", d.notification_emails)
            .str("hosted_file_drop_error_message", NOT_SERVED)
            .str("html_embed_code_error_message", NOT_SERVED);
    } else {
        o = o.yes_no("dropbox_enabled", false);
    }
    Ok(with_revision(o, rev))
}
