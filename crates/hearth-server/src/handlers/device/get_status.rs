//! device/get_status — the cloud device's revision and whether background jobs of the account
//! are queued or running (`async_job_types`: their calls, e.g. `folder/copy`).

use hearth_api::response::{Node, Obj};
use hearth_core::Core;

use super::flag;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let simple = flag(cx.params, "simple_report")?;
    let revision = cx.core.device_revision(caller.user_id).await?;
    let kinds = cx.core.jobs_in_progress(caller.user_id).await?;
    let o = Obj::new()
        .num("device_revision", revision)
        .yes_no("async_jobs_in_progress", !kinds.is_empty());
    Ok(if simple {
        o
    } else {
        o.list(
            "async_job_types",
            kinds.into_iter().map(Node::Str).collect(),
        )
    })
}
