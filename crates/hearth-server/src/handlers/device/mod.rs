//! The device group (device 0, the cloud): the device revision, the change log and the trash.
//! Sharing, foreign resources, device registration and patches are not served yet (253).

pub mod empty_trash;
pub mod get_changes;
pub mod get_status;
pub mod get_trash;

use hearth_api::errors::{codes, ApiError};

use crate::params::Params;

super::calls! {
    "device/empty_trash" => empty_trash,
    "device/get_changes" => get_changes,
    "device/get_status" => get_status,
    "device/get_trash" => get_trash,
}

/// A flag as device.md accepts it: `yes`/`no`, `1`/`0`, `true`/`false` (any case; the TS SDK
/// sends JavaScript booleans). Absent or empty is `false`; anything else is 129.
pub(crate) fn flag(params: &Params, name: &str) -> Result<bool, ApiError> {
    match params
        .non_empty(name)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("no" | "0" | "false") => Ok(false),
        Some("yes" | "1" | "true") => Ok(true),
        Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
    }
}
