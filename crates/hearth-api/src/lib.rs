//! hearth-api — the MediaFire Core API 1.5 wire contract, without I/O: the calls table, the
//! error table, the response envelope and its XML/JSON writers, signature and key-rotation
//! math, and the key newtypes.

pub mod calls;
pub mod errors;
pub mod keys;
pub mod response;
pub mod signature;

pub use calls::{
    find_call, parse_api_path, ApiPath, AuthKind, CallSpec, KeyKind, KeyParam, Method, CALLS,
    CURRENT_API_VERSION,
};
pub use errors::{codes, error_info, ApiError, ErrorInfo, ERRORS};
pub use keys::{random_token, FolderKey, QuickKey, UploadKey};
pub use response::{
    singular_of, to_json, to_xml, Envelope, Format, Node, Obj, Outcome, JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
};
