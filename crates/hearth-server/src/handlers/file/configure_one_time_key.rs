//! file/configure_one_time_key — changes the settings of one of the caller's one-time keys
//! (`token`); `duration=0` disables it for good. Another user's token is like a never-issued one.

use hearth_api::response::Obj;

use super::one_time_key::{options, with_counts};
use crate::handlers::entries::with_revision;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let token = cx.params.required("token")?;
    let o = options(cx)?;
    let (counts, rev) = cx.core.configure_one_time_key(caller, token, &o).await?;
    Ok(with_revision(with_counts(Obj::new(), counts), Some(rev)))
}
