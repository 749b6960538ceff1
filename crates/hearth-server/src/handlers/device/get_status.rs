//! device/get_status — the cloud device's revision and whether background jobs are running.
//! Every job runs inline, so `async_jobs_in_progress` is always `no`.

use hearth_api::response::Obj;
use hearth_core::Core;

use super::flag;
use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let simple = flag(cx.params, "simple_report")?;
    let revision = cx.core.device_revision(caller.user_id).await?;
    let o = Obj::new()
        .num("device_revision", revision)
        .str("async_jobs_in_progress", "no");
    Ok(if simple {
        o
    } else {
        o.list("async_job_types", Vec::new())
    })
}
