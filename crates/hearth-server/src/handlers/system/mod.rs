//! The system group: no token; a token or signature sent is ignored and never rotates.

pub mod get_editable_media;
pub mod get_info;
pub mod get_limits;
pub mod get_mime_types;
pub mod get_status;
pub mod get_supported_media;
pub mod get_version;
pub mod media;
