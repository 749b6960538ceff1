//! The system group: no token; a token or signature sent is ignored and never rotates.

pub mod get_editable_media;
pub mod get_info;
pub mod get_limits;
pub mod get_mime_types;
pub mod get_status;
pub mod get_supported_media;
pub mod get_version;
pub mod media;

super::calls! {
    "system/get_editable_media" => get_editable_media,
    "system/get_info" => get_info,
    "system/get_limits" => get_limits,
    "system/get_mime_types" => get_mime_types,
    "system/get_status" => get_status,
    "system/get_supported_media" => get_supported_media,
    "system/get_version" => get_version,
}
