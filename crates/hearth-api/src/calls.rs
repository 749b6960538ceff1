//! The calls table: every API call once, with its methods, auth kind, key parameters and
//! whether it may run as a background job; plus the `/api/…/<group>/<call>.php` path parser.

use crate::errors::{codes, ApiError};

/// The version `current_api_version` always reports.
pub const CURRENT_API_VERSION: &str = "1.5";

/// The version segments accepted in `/api/<version>/…`.
pub const API_VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Which credential a call takes (spec/auth.md §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// Takes no token: `user/get_session_token` (app signature), `user/register`.
    None,
    /// A token or signature sent is ignored and never rotates (`system/*`,
    /// `billing/get_plans`, `billing/get_products`).
    Ignored,
    /// Anonymous callers may read public items; a token sent is checked (an invalid one is 105).
    Optional,
    /// A session token (v1, or v2 + signature) is required.
    Session,
    /// A session token or an upload action token (the file-carrying upload calls).
    SessionOrUploadToken,
}

/// What kind of key a key parameter carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    QuickKey,
    FolderKey,
    UploadKey,
}

/// A parameter that names a file, folder or upload, for the authorization matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyParam {
    pub name: &'static str,
    pub kind: KeyKind,
    /// A comma-separated list of keys is allowed.
    pub list: bool,
}

/// HTTP methods a call accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

/// One row of the calls table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSpec {
    pub group: &'static str,
    pub call: &'static str,
    pub methods: &'static [Method],
    pub auth: AuthKind,
    pub key_params: &'static [KeyParam],
    /// The call may answer `asynchronous: yes` and finish as a background job.
    pub may_be_async: bool,
    /// Listed in the seed page's menu (spec/calls.txt).
    pub in_seed_menu: bool,
}

impl CallSpec {
    /// `group/call`, as in the envelope's `action`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.group, self.call)
    }

    /// Whether `method` is allowed for this call.
    pub fn allows(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }

    /// The key parameter called `name`, if any.
    pub fn key_param(&self, name: &str) -> Option<&'static KeyParam> {
        self.key_params.iter().find(|p| p.name == name)
    }
}

const GET_POST: &[Method] = &[Method::Get, Method::Post];
const POST_ONLY: &[Method] = &[Method::Post];

const fn kp(name: &'static str, kind: KeyKind, list: bool) -> KeyParam {
    KeyParam { name, kind, list }
}

const fn row(
    group: &'static str,
    call: &'static str,
    methods: &'static [Method],
    auth: AuthKind,
    key_params: &'static [KeyParam],
    may_be_async: bool,
    in_seed_menu: bool,
) -> CallSpec {
    CallSpec {
        group,
        call,
        methods,
        auth,
        key_params,
        may_be_async,
        in_seed_menu,
    }
}

/// Every call, sorted by `group/call`.
#[rustfmt::skip]
pub static CALLS: &[CallSpec] = &[
    row("billing", "cancel_plan", GET_POST, AuthKind::Session, &[], false, true),
    row("billing", "change_plan", GET_POST, AuthKind::Session, &[], false, true),
    row("billing", "get_invoice", GET_POST, AuthKind::Session, &[], false, true),
    row("billing", "get_plans", GET_POST, AuthKind::Ignored, &[], false, true),
    row("billing", "get_products", GET_POST, AuthKind::Ignored, &[], false, true),
    row("billing", "purchase_plan", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "add", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "delete", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "fetch", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "get_avatar", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "get_sources", GET_POST, AuthKind::Session, &[], false, true),
    row("contact", "set_avatar", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("contact", "summary", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "add_device", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "empty_trash", GET_POST, AuthKind::Session, &[], true, true),
    row("device", "follow_resource", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_changes", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_foreign_changes", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_foreign_resources", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_patch", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("device", "get_resource_shares", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_status", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_trash", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "get_updates", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("device", "get_user_shares", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "remove_device", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "request_foreign_resource", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "share_resources", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "unfollow_resource", GET_POST, AuthKind::Session, &[], false, true),
    row("device", "unshare_resources", GET_POST, AuthKind::Session, &[], false, true),
    row("file", "configure_one_time_key", GET_POST, AuthKind::Session, &[], false, true),
    row("file", "copy", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, true), kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("file", "create", GET_POST, AuthKind::Session, &[kp("parent_key", KeyKind::FolderKey, false)], false, true),
    row("file", "delete", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, true)], false, true),
    row("file", "get_info", GET_POST, AuthKind::Optional, &[kp("quick_key", KeyKind::QuickKey, true)], false, true),
    row("file", "get_links", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, true)], false, true),
    row("file", "get_versions", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("file", "move", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, true), kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("file", "one_time_key", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("file", "purge", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, true)], false, true),
    row("file", "recently_modified", GET_POST, AuthKind::Session, &[], false, true),
    row("file", "restore", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], true, true),
    row("file", "set_artwork", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false), kp("artwork_quickkey", KeyKind::QuickKey, false)], false, true),
    row("file", "update", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], true, true),
    row("file", "update_file", GET_POST, AuthKind::Session, &[kp("from_quickkey", KeyKind::QuickKey, false), kp("to_quickkey", KeyKind::QuickKey, false)], false, true),
    row("file", "zip", GET_POST, AuthKind::Optional, &[kp("quick_key", KeyKind::QuickKey, true), kp("folder_key", KeyKind::FolderKey, true)], false, true),
    row("folder", "configure_filedrop", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("folder", "copy", GET_POST, AuthKind::Session, &[kp("folder_key_src", KeyKind::FolderKey, true), kp("folder_key_dst", KeyKind::FolderKey, false)], true, true),
    row("folder", "create", GET_POST, AuthKind::Session, &[kp("parent_key", KeyKind::FolderKey, false)], false, true),
    row("folder", "delete", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, true)], true, true),
    row("folder", "get_content", GET_POST, AuthKind::Optional, &[kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("folder", "get_depth", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, true)], false, true),
    row("folder", "get_info", GET_POST, AuthKind::Optional, &[kp("folder_key", KeyKind::FolderKey, true)], false, true),
    row("folder", "get_siblings", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("folder", "move", GET_POST, AuthKind::Session, &[kp("folder_key_src", KeyKind::FolderKey, true), kp("folder_key_dst", KeyKind::FolderKey, false)], true, true),
    row("folder", "purge", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, true)], true, true),
    row("folder", "search", GET_POST, AuthKind::Optional, &[kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("folder", "update", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, false)], true, true),
    row("notifications", "get_cache", GET_POST, AuthKind::Session, &[], false, true),
    row("notifications", "peek_cache", GET_POST, AuthKind::Session, &[], false, true),
    row("notifications", "send_message", GET_POST, AuthKind::Session, &[], false, true),
    row("notifications", "send_notification", GET_POST, AuthKind::Session, &[], false, true),
    row("system", "get_editable_media", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_info", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_limits", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_mime_types", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_status", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_supported_media", GET_POST, AuthKind::Ignored, &[], false, true),
    row("system", "get_version", GET_POST, AuthKind::Ignored, &[], false, true),
    row("upload", "add_web_upload", GET_POST, AuthKind::Session, &[kp("folder_key", KeyKind::FolderKey, false)], false, true),
    row("upload", "check", GET_POST, AuthKind::SessionOrUploadToken, &[kp("folder_key", KeyKind::FolderKey, false), kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("upload", "get_options", GET_POST, AuthKind::Session, &[], false, true),
    row("upload", "get_web_uploads", GET_POST, AuthKind::Session, &[kp("upload_key", KeyKind::UploadKey, false)], false, true),
    row("upload", "instant", GET_POST, AuthKind::SessionOrUploadToken, &[kp("folder_key", KeyKind::FolderKey, false), kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("upload", "patch", POST_ONLY, AuthKind::SessionOrUploadToken, &[kp("quickkey", KeyKind::QuickKey, false), kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("upload", "poll_upload", GET_POST, AuthKind::Optional, &[kp("key", KeyKind::UploadKey, false)], false, true),
    row("upload", "resumable", POST_ONLY, AuthKind::SessionOrUploadToken, &[kp("folder_key", KeyKind::FolderKey, false), kp("uploadkey", KeyKind::FolderKey, false), kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("upload", "set_options", GET_POST, AuthKind::Session, &[], false, true),
    row("upload", "simple", POST_ONLY, AuthKind::SessionOrUploadToken, &[kp("folder_key", KeyKind::FolderKey, false), kp("uploadkey", KeyKind::FolderKey, false)], false, true),
    row("upload", "update", POST_ONLY, AuthKind::SessionOrUploadToken, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("user", "accept_tos", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "destroy_action_token", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "fetch_tos", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_action_token", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_avatar", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_devices", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_info", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_limits", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "get_session_token", GET_POST, AuthKind::None, &[], false, true),
    row("user", "get_settings", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "register", GET_POST, AuthKind::None, &[], false, true),
    row("user", "renew_session_token", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "set_avatar", GET_POST, AuthKind::Session, &[kp("quick_key", KeyKind::QuickKey, false)], false, true),
    row("user", "set_settings", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "update", GET_POST, AuthKind::Session, &[], false, true),
    row("user", "upgrade_session_token", GET_POST, AuthKind::Session, &[], false, false),
];

/// The row for `group/call` (exact, case-sensitive; no aliases).
pub fn find_call(group: &str, call: &str) -> Option<&'static CallSpec> {
    CALLS
        .binary_search_by(|spec| (spec.group, spec.call).cmp(&(group, call)))
        .ok()
        .map(|i| &CALLS[i])
}

/// A parsed API path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiPath {
    /// The version segment, `None` for the unversioned form `/api/<group>/<call>.php`.
    pub version: Option<&'static str>,
    pub call: &'static CallSpec,
}

/// Parses `/api/<version>/<group>/<call>.php` or `/api/<group>/<call>.php` (the path only,
/// without the query). `upload/upload.php` is an alias of `upload/simple`. Anything else,
/// including an unknown version or call, is 253.
pub fn parse_api_path(path: &str) -> Result<ApiPath, ApiError> {
    let unknown = || ApiError::new(codes::UNKNOWN_API);
    let rest = path.strip_prefix("/api/").ok_or_else(unknown)?;
    let segments: Vec<&str> = rest.split('/').collect();
    let (version, group, file) = match segments.as_slice() {
        [group, file] => (None, *group, *file),
        [version, group, file] => {
            let v = API_VERSIONS
                .iter()
                .copied()
                .find(|v| v == version)
                .ok_or_else(unknown)?;
            (Some(v), *group, *file)
        }
        _ => return Err(unknown()),
    };
    let call = file.strip_suffix(".php").ok_or_else(unknown)?;
    let call = match (group, call) {
        ("upload", "upload") => "simple",
        _ => call,
    };
    let spec = find_call(group, call).ok_or_else(unknown)?;
    Ok(ApiPath {
        version,
        call: spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shape() {
        assert_eq!(CALLS.len(), 96);
        assert_eq!(CALLS.iter().filter(|c| c.in_seed_menu).count(), 95);
        for pair in CALLS.windows(2) {
            assert!(
                (pair[0].group, pair[0].call) < (pair[1].group, pair[1].call),
                "{} before {}",
                pair[0].name(),
                pair[1].name()
            );
        }
        for spec in CALLS {
            assert!(spec.allows(Method::Post), "{}", spec.name());
            for param in spec.key_params {
                assert_eq!(
                    spec.key_params
                        .iter()
                        .filter(|p| p.name == param.name)
                        .count(),
                    1,
                    "{}",
                    spec.name()
                );
            }
        }
    }

    #[test]
    fn find_every_call() {
        for spec in CALLS {
            assert_eq!(find_call(spec.group, spec.call), Some(spec));
        }
        assert!(find_call("upload", "upload").is_none());
        assert!(find_call("folder", "nope").is_none());
    }

    #[test]
    fn methods() {
        let post_only: Vec<String> = CALLS
            .iter()
            .filter(|c| !c.allows(Method::Get))
            .map(CallSpec::name)
            .collect();
        assert_eq!(
            post_only,
            [
                "upload/patch",
                "upload/resumable",
                "upload/simple",
                "upload/update"
            ]
        );
    }

    #[test]
    fn auth_kinds() {
        let of = |g, c| find_call(g, c).unwrap().auth;
        assert_eq!(of("system", "get_info"), AuthKind::Ignored);
        assert_eq!(of("billing", "get_plans"), AuthKind::Ignored);
        assert_eq!(of("billing", "get_products"), AuthKind::Ignored);
        assert_eq!(of("billing", "get_invoice"), AuthKind::Session);
        assert_eq!(of("user", "get_session_token"), AuthKind::None);
        assert_eq!(of("user", "register"), AuthKind::None);
        assert_eq!(of("user", "upgrade_session_token"), AuthKind::Session);
        assert_eq!(of("upload", "poll_upload"), AuthKind::Optional);
        assert_eq!(of("folder", "search"), AuthKind::Optional);
        assert_eq!(of("upload", "check"), AuthKind::SessionOrUploadToken);
        assert_eq!(of("upload", "get_options"), AuthKind::Session);
        assert_eq!(of("file", "get_links"), AuthKind::Session);
        let count = |kind| CALLS.iter().filter(|c| c.auth == kind).count();
        assert_eq!(count(AuthKind::Ignored), 9);
        assert_eq!(count(AuthKind::None), 2);
        assert_eq!(count(AuthKind::Optional), 6);
        assert_eq!(count(AuthKind::SessionOrUploadToken), 6);
    }

    #[test]
    fn key_params() {
        let get_info = find_call("file", "get_info").unwrap();
        assert_eq!(
            get_info.key_param("quick_key"),
            Some(&kp("quick_key", KeyKind::QuickKey, true))
        );
        let mv = find_call("folder", "move").unwrap();
        assert!(mv.key_param("folder_key_src").unwrap().list);
        assert!(!mv.key_param("folder_key_dst").unwrap().list);
        let poll = find_call("upload", "poll_upload").unwrap();
        assert_eq!(poll.key_param("key").unwrap().kind, KeyKind::UploadKey);
        assert!(find_call("system", "get_info")
            .unwrap()
            .key_params
            .is_empty());
    }

    #[test]
    fn async_calls() {
        let names: Vec<String> = CALLS
            .iter()
            .filter(|c| c.may_be_async)
            .map(CallSpec::name)
            .collect();
        assert_eq!(
            names,
            [
                "device/empty_trash",
                "file/restore",
                "file/update",
                "folder/copy",
                "folder/delete",
                "folder/move",
                "folder/purge",
                "folder/update"
            ]
        );
    }

    #[test]
    fn parse_paths() {
        let p = parse_api_path("/api/1.5/folder/get_content.php").unwrap();
        assert_eq!(
            (p.version, p.call.name().as_str()),
            (Some("1.5"), "folder/get_content")
        );
        let p = parse_api_path("/api/user/get_info.php").unwrap();
        assert_eq!((p.version, p.call.name().as_str()), (None, "user/get_info"));
        for v in API_VERSIONS {
            let p = parse_api_path(&format!("/api/{v}/system/get_info.php")).unwrap();
            assert_eq!(p.version, Some(*v));
        }
        let p = parse_api_path("/api/1.5/upload/upload.php").unwrap();
        assert_eq!(p.call.name(), "upload/simple");
        let p = parse_api_path("/api/upload/upload.php").unwrap();
        assert_eq!(p.call.name(), "upload/simple");
        let upgrade = parse_api_path("/api/1.5/user/upgrade_session_token.php").unwrap();
        assert!(!upgrade.call.in_seed_menu);
    }

    #[test]
    fn reject_paths() {
        for bad in [
            "",
            "/",
            "/api",
            "/api/",
            "/api/1.5/",
            "/api/1.8/user/get_info.php",
            "/api/2.0/user/get_info.php",
            "/api/1.50/user/get_info.php",
            "/api/v1.5/user/get_info.php",
            "/api/1.5/user/get_info",
            "/api/1.5/user/get_info.PHP",
            "/api/1.5/User/get_info.php",
            "/api/1.5/user/nope.php",
            "/api/1.5/user/get_info.php/",
            "/api/1.5//user/get_info.php",
            "/api/1.5/x/user/get_info.php",
            "api/1.5/user/get_info.php",
            "/API/1.5/user/get_info.php",
            "/api/1.5/folder/.php",
            "/api/1.5/upload.php",
            "/api/1.5/upload/upload",
        ] {
            let err = parse_api_path(bad).unwrap_err();
            assert_eq!(err.code, 253, "{bad}");
            assert_eq!(err.http_status(), 404);
        }
    }
}
