//! upload/set_options — changes the caller's upload preferences (all optional; each value is
//! checked before any is stored: skip/keep/replace, yes/no, else 129).

use hearth_api::response::Obj;
use hearth_core::uploads::UploadDuplicate;
use hearth_core::web_uploads::UploadOptionChanges;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let p = cx.params;
    let changes = UploadOptionChanges {
        action_on_duplicate: match p.non_empty("action_on_duplicate") {
            Some(v) => Some(UploadDuplicate::parse(Some(v))?),
            None => None,
        },
        disable_instant: p.yes_no("disable_instant")?,
        disable_flash: p.yes_no("disable_flash")?,
        disable_html5: p.yes_no("disable_html5")?,
    };
    cx.core.set_upload_options(caller.user_id, &changes).await?;
    Ok(Obj::new())
}
