//! Runtime settings the domain rules need. The binary builds this from its config table
//! (defaults, hearth.toml, HEARTH_* variables, flags) and passes it in; nothing here is global.

use std::time::Duration;

/// How expensive password hashing is. `Fast` exists only so test suites stay quick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Argon2Profile {
    /// OWASP-recommended Argon2id parameters (19 MiB, 2 passes).
    Default,
    /// Minimal parameters, for tests only.
    Fast,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub argon2: Argon2Profile,
    /// Lifetime of a version-1 session token; `user/renew_session_token` extends it.
    pub session_v1_lifetime: Duration,
    /// A version-2 token expires after this long without a call.
    pub session_v2_idle: Duration,
    /// How long a claimed v2 token stays claimed if the holder never releases it (crash).
    pub session_claim_lease: Duration,
    /// Failed logins in a row before the account is locked (243).
    pub lockout_failures: u32,
    pub lockout_duration: Duration,
    /// API calls per second per client address (0 = unlimited).
    pub rate_limit_per_address: u32,
    /// API calls per second per application (0 = unlimited).
    pub rate_limit_per_app: u32,
    pub allow_registration: bool,
    /// Storage quota given to new accounts, bytes.
    pub default_quota_bytes: u64,
    /// Default lifetime of action tokens, minutes (auth.md §5.1), and the cap.
    pub action_token_default_minutes: u32,
    pub action_token_max_minutes: u32,
    pub limits: Limits,
    /// Revision string of the current terms of service.
    pub tos_revision: String,
    /// An async-capable call touching more items than this (folders and files of the subtrees
    /// involved) runs as a background job and answers `asynchronous: yes`.
    pub async_threshold: u64,
    /// A pause before each batch of a background job. Tests only: lets a test watch a job
    /// in flight (and kill the server in the middle of one).
    pub job_batch_delay: Duration,
    /// An unfinished resumable upload session (and its received units) is removed this long
    /// after its last check or unit; a finished one is kept as long so check still reports it.
    pub resumable_lifetime: Duration,
    /// upload/patch: the largest target a delta may build, the largest delta accepted, and the
    /// largest source segment one delta window may use (held in memory while it decodes).
    pub patch_max_target: u64,
    /// Web uploads and avatar URLs (`safe_fetch`): addresses that may be fetched from although
    /// they are in a refused range (loopback, private, link-local, …). Empty: public only.
    pub web_upload_allow: Vec<ipnet::IpNet>,
    /// Largest file a web upload fetches (also bounded by `max_upload_size` and the quota).
    pub web_upload_max_bytes: u64,
    /// A web upload's whole fetch (look-ups, redirects, body) must end within this.
    pub web_upload_timeout: Duration,
    /// Web uploads one user may have running at once (more: 163).
    pub web_upload_max_active: u32,
    /// Stored content no file or version uses is removed this long after its last reference
    /// went (the delay lets an upload of the same bytes, or an undo, find it again).
    pub gc_grace: Duration,
    /// `upload/check` and `upload/instant` see any stored content, not only the caller's own
    /// (single-tenant installs: knowing a hash then hands out the file).
    pub dedup_global: bool,
}

/// The limits `system/get_limits` reports and the server enforces.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_objects: u64,
    pub max_keys: u64,
    pub max_image_size: u64,
    pub zip_max_filesize: u64,
    pub zip_max_total_filesize: u64,
    pub folder_content_chunk_size: u64,
    pub folder_depth_limit: u64,
    pub limit_search_results: u64,
    pub daily_shares_limit: u64,
    pub device_changes_list_limit: u64,
    pub total_folder_items_limit: u64,
    pub max_upload_size: u64,
    pub max_instant_upload_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_objects: 6000,
            max_keys: 500,
            max_image_size: 26_214_400,
            zip_max_filesize: 314_572_800,
            zip_max_total_filesize: 2_147_483_647,
            folder_content_chunk_size: 100,
            folder_depth_limit: 130,
            limit_search_results: 100,
            daily_shares_limit: 100,
            device_changes_list_limit: 500,
            total_folder_items_limit: 100,
            max_upload_size: 21_474_836_480,
            max_instant_upload_size: 21_474_836_480,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            argon2: Argon2Profile::Default,
            session_v1_lifetime: Duration::from_secs(600),
            session_v2_idle: Duration::from_secs(3600),
            session_claim_lease: Duration::from_secs(60),
            lockout_failures: 10,
            lockout_duration: Duration::from_secs(900),
            rate_limit_per_address: 0,
            rate_limit_per_app: 0,
            allow_registration: false,
            default_quota_bytes: 50 * 1024 * 1024 * 1024,
            action_token_default_minutes: 1440,
            action_token_max_minutes: 1440,
            limits: Limits::default(),
            tos_revision: "1.0".to_string(),
            async_threshold: 500,
            job_batch_delay: Duration::ZERO,
            resumable_lifetime: Duration::from_secs(86_400),
            patch_max_target: 256 * 1024 * 1024,
            web_upload_allow: Vec::new(),
            web_upload_max_bytes: 10 * 1024 * 1024 * 1024,
            web_upload_timeout: Duration::from_secs(3600),
            web_upload_max_active: 5,
            gc_grace: Duration::from_secs(3600),
            dedup_global: false,
        }
    }
}
