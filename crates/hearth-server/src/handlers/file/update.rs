//! file/update — changes a file's name (same extension, else 106), description, privacy,
//! password (empty removes it) or mtime; 211 in the trash, 128 when nothing is given.

use hearth_api::response::Obj;
use hearth_core::files::FileUpdate;
use hearth_core::tree::parse_mtime;

use super::target_key;
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let key = target_key(cx, caller).await?;
    let p = cx.params;
    let update = FileUpdate {
        filename: p.non_empty("filename"),
        description: p.get("description"),
        privacy: p.non_empty("privacy"),
        password: p.get("password"),
        mtime_us: parse_mtime(p.non_empty("mtime"))?,
    };
    let rev = cx.core.update_file(caller, Some(&key), update).await?;
    Ok(with_revision(Obj::new(), Some(rev)))
}
