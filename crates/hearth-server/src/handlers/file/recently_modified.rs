//! file/recently_modified — quickkeys of the caller's live files, most recently changed first
//! (`number_of_files`: default 10, at most 100).

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::{Node, Obj};

use crate::handlers::{Ctx, Reply};

const DEFAULT: i64 = 10;
const MAX: i64 = 100;

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    let n = match cx.params.non_empty("number_of_files") {
        None => DEFAULT,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n.min(MAX),
            _ => return Err(ApiError::new(codes::INVALID_PARAMS)),
        },
    };
    let files = cx.core.recently_modified(caller, n).await?;
    let keys = files.into_iter().map(|f| Node::Str(f.quickkey)).collect();
    Ok(Obj::new().list("quickkeys", keys))
}
