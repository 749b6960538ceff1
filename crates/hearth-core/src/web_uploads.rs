//! Web uploads (`upload/add_web_upload`, `upload/get_web_uploads`), the per-user upload options
//! (`upload/get_options`, `upload/set_options`) and avatars fetched from a URL
//! (`user/set_avatar url=`).
//!
//! A web upload is checked at once (name, destination folder, the URL through
//! [`safe_fetch::check`], the user's running count) and recorded: a `web_uploads` row with its
//! progress and an `uploads` row under the same key, which `upload/poll_upload` reads. A tokio
//! task then fetches the URL ([`safe_fetch::fetch`]) and streams the body through
//! [`Core::upload_simple`] into the blob store while hashing (never buffered whole), bounded by
//! `web_upload_max_bytes`, `max_upload_size`, the quota and `web_upload_timeout`. The result of
//! that inner upload is copied to the web upload's key. Failures end the key in status 99 with a
//! fileerror (6 for a fetch that failed, with the reason in `error_message`).
//!
//! A process that dies mid-fetch leaves rows below 99: at start the job worker ends those of
//! earlier processes as failed (SQLite: one process per data directory, so every row created
//! before this process started), and every minute those past their deadline (PostgreSQL, where
//! another node may still be running a fresh one).

use std::time::Duration;

use bytes::Bytes;
use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::UploadKey;
use hearth_store::accounts as store_accounts;
use hearth_store::tree::FileRow;
use hearth_store::uploads::{self as store_uploads, UploadRow};
use hearth_store::web_uploads as store;
pub use hearth_store::web_uploads::WebUploadRow;
use hearth_store::{Dialect, StoreError};
use tokio::time::Instant;

use crate::safe_fetch::{self, FetchError, Policy};
use crate::sessions::Caller;
use crate::tree::{valid_name, Target};
use crate::uploads::{
    fileerror, ByteSource, Destination, SimpleOutcome, SimpleRequest, UploadDuplicate, STATUS_DONE,
};
use crate::{internal, now_us, Core};

/// Web upload status codes (spec/upload.md §11).
pub const WEB_ENTERED: i64 = 1;
pub const WEB_STARTED: i64 = 2;
pub const WEB_TRANSFERRING: i64 = 3;
pub const WEB_DOWNLOADED: i64 = 4;
pub const WEB_DONE: i64 = 99;

/// Poll statuses of the web upload's key while it runs (spec/upload.md §8).
const POLL_IN_PROGRESS: i64 = 3;
const POLL_COMPLETED: i64 = 4;

/// Progress is written at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// After its deadline a web upload may still be placing its file for this long.
const PLACING_GRACE: Duration = Duration::from_secs(600);
/// An avatar fetch gets at most this long.
const AVATAR_TIMEOUT: Duration = Duration::from_secs(30);
/// `get_web_uploads` lists at most this many (newest first).
const LIST_LIMIT: i64 = 500;
/// The name of a fetched file when neither the request, the response nor the URL gives one.
const FALLBACK_NAME: &str = "download";

/// The text of a web upload status code.
pub fn status_text(status: i64) -> &'static str {
    match status {
        WEB_ENTERED => "Entered",
        WEB_STARTED => "Started",
        WEB_TRANSFERRING => "Transferring",
        WEB_DOWNLOADED => "Downloaded",
        5 => "Waiting for verification",
        6 => "Verifying",
        WEB_DONE => "Complete",
        _ => "Unknown",
    }
}

/// `upload/add_web_upload` input.
pub struct WebUploadRequest<'a> {
    pub url: &'a str,
    /// The name to give the file; else from the response or the URL.
    pub filename: Option<&'a str>,
    pub dest: Destination<'a>,
    /// `None`: the user's default (upload/set_options).
    pub on_duplicate: Option<UploadDuplicate>,
}

/// The per-user upload preferences of `upload/get_options`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOptions {
    pub action_on_duplicate: UploadDuplicate,
    pub disable_instant: bool,
    pub disable_flash: bool,
    pub disable_html5: bool,
}

/// `upload/set_options`: the preferences to change.
#[derive(Clone, Debug, Default)]
pub struct UploadOptionChanges {
    pub action_on_duplicate: Option<UploadDuplicate>,
    pub disable_instant: Option<bool>,
    pub disable_flash: Option<bool>,
    pub disable_html5: Option<bool>,
}

/// Where the options live in the user settings table. `disable_instant` is the inverse of the
/// `instant_uploads_enabled` setting of user/get_settings (one truth for both calls).
const OPT_DUPLICATE: &str = "upload_action_on_duplicate";
const OPT_FLASH: &str = "upload_disable_flash";
const OPT_HTML5: &str = "upload_disable_html5";
const OPT_INSTANT_ENABLED: &str = "instant_uploads_enabled";

pub fn duplicate_name(d: UploadDuplicate) -> &'static str {
    match d {
        UploadDuplicate::Skip => "skip",
        UploadDuplicate::Keep => "keep",
        UploadDuplicate::Replace => "replace",
    }
}

/// What `user/set_avatar url=` created.
pub struct AvatarFromUrl {
    pub file: FileRow,
    /// The upload key of the fetched file (polls status 99).
    pub upload_key: String,
}

fn db_err(e: StoreError) -> ApiError {
    internal(e)
}

/// 174 with the reason.
fn url_error(e: &FetchError) -> ApiError {
    ApiError::with_message(
        codes::INVALID_URL,
        format!("The URL specified is invalid: {e}"),
    )
}

/// A fetch that went wrong after the URL was accepted: a refused redirect is still the URL's
/// fault (174), anything else is 169.
fn fetch_error(e: &FetchError) -> ApiError {
    match e {
        FetchError::BadUrl(_)
        | FetchError::RefusedAddress { .. }
        | FetchError::RefusedHost { .. }
        | FetchError::TooManyRedirects => url_error(e),
        _ => ApiError::with_message(codes::UPLOAD_FAILED, format!("Upload Failed: {e}")),
    }
}

/// The words for a fileerror the inner upload ended with.
fn fileerror_text(code: &str) -> &'static str {
    match code {
        "" => "",
        fileerror::TOO_LARGE => "the file is larger than this server accepts",
        "2" => "the file is empty",
        fileerror::HASH_MISMATCH => "the body did not match its Content-Length",
        fileerror::DUPLICATE => "a file with that name already exists in the folder",
        fileerror::NO_FOLDER => "the destination folder no longer exists",
        fileerror::STORAGE_LIMIT => "the account's storage limit was reached",
        fileerror::PATH_FAILED => "the folders of the path could not be created",
        _ => "internal error",
    }
}

/// A response body as an upload body: cut off (with the reason kept) past `max` (too large)
/// or `room` (quota); with a web upload's key, progress is recorded as it goes.
struct FetchBody<'a> {
    core: &'a Core,
    resp: safe_fetch::Response,
    /// The web upload whose progress to record, with its name and total.
    progress: Option<(&'a str, &'a str, i64)>,
    max: u64,
    room: u64,
    received: u64,
    recorded: u64,
    last_write: Instant,
    failure: Option<(&'static str, String)>,
}

impl<'a> FetchBody<'a> {
    fn new(core: &'a Core, resp: safe_fetch::Response, max: u64, room: u64) -> FetchBody<'a> {
        FetchBody {
            core,
            resp,
            progress: None,
            max,
            room,
            received: 0,
            recorded: 0,
            last_write: Instant::now(),
            failure: None,
        }
    }

    async fn record(&mut self, status: i64) {
        if let Some((key, name, total)) = self.progress {
            self.core
                .web_progress(key, status, self.received as i64, total, name)
                .await;
            self.recorded = self.received;
            self.last_write = Instant::now();
        }
    }
}

impl ByteSource for FetchBody<'_> {
    type Chunk = Bytes;

    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ()> {
        // While waiting for data, what arrived so far is recorded every PROGRESS_EVERY.
        let next = loop {
            let due = self.last_write + PROGRESS_EVERY;
            let dirty = self.progress.is_some() && self.recorded != self.received;
            let chunk = {
                let read = self.resp.chunk();
                tokio::pin!(read);
                tokio::select! {
                    r = &mut read => Some(r),
                    _ = tokio::time::sleep_until(due), if dirty => None,
                }
            };
            match chunk {
                Some(r) => break r,
                None => self.record(WEB_TRANSFERRING).await,
            }
        };
        match next {
            Ok(Some(c)) => {
                self.received += c.len() as u64;
                if self.received > self.max {
                    self.failure = Some((
                        fileerror::TOO_LARGE,
                        format!("the file is larger than {} bytes", self.max),
                    ));
                    return Err(());
                }
                if self.received > self.room {
                    self.failure = Some((
                        fileerror::STORAGE_LIMIT,
                        fileerror_text(fileerror::STORAGE_LIMIT).to_string(),
                    ));
                    return Err(());
                }
                if self.progress.is_some() && self.last_write.elapsed() >= PROGRESS_EVERY {
                    self.record(WEB_TRANSFERRING).await;
                }
                Ok(Some(c))
            }
            Ok(None) => {
                self.record(WEB_DOWNLOADED).await;
                Ok(None)
            }
            Err(e) => {
                self.failure = Some((fileerror::UNKNOWN, e.to_string()));
                Err(())
            }
        }
    }
}

/// Everything the background task of one web upload needs.
struct WebJob {
    user_id: i64,
    key: String,
    first: safe_fetch::Checked,
    policy: Policy,
    /// The requested name, if any; the name shown until the response gives one.
    name: Option<String>,
    shown_name: String,
    folder_key: Option<String>,
    path: Option<String>,
    on_duplicate: UploadDuplicate,
}

impl Core {
    /// The largest file a web upload may fetch.
    fn web_max_bytes(&self) -> u64 {
        let s = self.settings();
        match s.limits.max_upload_size {
            0 => s.web_upload_max_bytes,
            m => m.min(s.web_upload_max_bytes),
        }
    }

    fn fetch_policy(&self, timeout: Duration) -> Policy {
        Policy::new(self.settings().web_upload_allow.clone(), timeout)
    }

    /// `upload/add_web_upload`: checks the name (118), the destination (112/114/211), the URL
    /// (174: scheme, host, every address it resolves to) and the user's running web uploads
    /// (163), records the upload and starts fetching in the background. Returns its key.
    pub async fn add_web_upload(
        &self,
        caller: &Caller,
        req: WebUploadRequest<'_>,
    ) -> Result<String, ApiError> {
        let name = match req.filename.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if valid_name(n) => Some(n.to_string()),
            Some(_) => return Err(ApiError::new(codes::INVALID_FILENAME)),
            None => None,
        };
        let folder = self
            .live_folder_for_write(caller, Target::of(req.dest.folder_key, None))
            .await?;
        let on_duplicate = match req.on_duplicate {
            Some(d) => d,
            None => {
                self.upload_options(caller.user_id)
                    .await?
                    .action_on_duplicate
            }
        };
        let s = self.settings();
        let policy = self.fetch_policy(s.web_upload_timeout);
        let first = safe_fetch::check(req.url, &policy)
            .await
            .map_err(|e| url_error(&e))?;
        let key = UploadKey::generate().as_str().to_string();
        let shown_name = name
            .clone()
            .or_else(|| safe_fetch::suggested_name(None, &first.url))
            .unwrap_or_default();
        let now = now_us();
        let expires = now
            .saturating_add(s.web_upload_timeout.as_micros() as i64)
            .saturating_add(PLACING_GRACE.as_micros() as i64);
        let row = WebUploadRow {
            id: 0,
            upload_key: key.clone(),
            user_id: caller.user_id,
            url: first.url.as_str().to_string(),
            file_name: shown_name.clone(),
            folder_key: req.dest.folder_key.map(str::to_string),
            path: req.dest.path.map(str::to_string),
            status: WEB_ENTERED,
            error_status: 0,
            error_message: String::new(),
            received: 0,
            total: -1,
            quickkey: String::new(),
            created_us: now,
            updated_us: now,
            expires_us: expires,
        };
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        store::lock_user(&mut tx, self.db().dialect(), caller.user_id)
            .await
            .map_err(db_err)?;
        let running = store::count_running(&mut tx, caller.user_id, WEB_DONE)
            .await
            .map_err(db_err)?;
        if running >= i64::from(s.web_upload_max_active) {
            return Err(ApiError::with_message(
                codes::ACCESS_LIMIT_REACHED,
                format!(
                    "You have reached the limit of {} web uploads running at once. Please try again later",
                    s.web_upload_max_active
                ),
            ));
        }
        store::insert_web_upload(&mut tx, &row)
            .await
            .map_err(db_err)?;
        store_uploads::insert_upload(
            &mut tx,
            &UploadRow {
                upload_key: key.clone(),
                user_id: caller.user_id,
                folder_id: Some(folder.id),
                file_name: shown_name.clone(),
                size: 0,
                hash: String::new(),
                status: POLL_IN_PROGRESS,
                fileerror: String::new(),
                quickkey: String::new(),
                revision: 0,
                created_us: now,
                updated_us: now,
            },
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        self.spawn_web_upload(WebJob {
            user_id: caller.user_id,
            key: key.clone(),
            first,
            policy,
            name,
            shown_name,
            folder_key: row.folder_key,
            path: row.path,
            on_duplicate,
        });
        Ok(key)
    }

    /// Runs a web upload in its own task; an error or a panic in it ends the upload as failed.
    fn spawn_web_upload(&self, job: WebJob) {
        let core = self.clone();
        let key = job.key.clone();
        let name = job.shown_name.clone();
        tokio::spawn(async move {
            let runner = core.clone();
            let failure = match tokio::spawn(async move { runner.run_web_upload(job).await }).await
            {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.message),
                Err(e) => {
                    tracing::error!(error = %e, "web upload task failed");
                    Some("internal error".to_string())
                }
            };
            if let Some(msg) = failure {
                if let Err(e) = core
                    .end_web_upload(&key, fileerror::UNKNOWN, &msg, &name, 0)
                    .await
                {
                    tracing::error!(error = %e.message, "ending a failed web upload");
                }
            }
        });
    }

    async fn run_web_upload(&self, job: WebJob) -> Result<(), ApiError> {
        let key = job.key.as_str();
        self.web_progress(key, WEB_STARTED, 0, -1, &job.shown_name)
            .await;
        let resp = match safe_fetch::fetch(job.first, &job.policy).await {
            Ok(r) => r,
            Err(e) => {
                return self
                    .end_web_upload(key, fileerror::UNKNOWN, &e.to_string(), &job.shown_name, 0)
                    .await
            }
        };
        let name = job
            .name
            .or_else(|| safe_fetch::suggested_name(resp.content_disposition.as_deref(), &resp.url))
            .unwrap_or_else(|| FALLBACK_NAME.to_string());
        let max = self.web_max_bytes();
        let user = self.user(job.user_id).await?;
        let room = (user.quota_bytes - user.used_bytes).max(0) as u64;
        let total = resp.content_length.map_or(-1, |l| l as i64);
        self.web_progress(key, WEB_TRANSFERRING, 0, total, &name)
            .await;
        let early = match resp.content_length {
            Some(len) if len > max => Some((
                fileerror::TOO_LARGE,
                format!("the file is larger than {max} bytes"),
            )),
            Some(len) if len > room => Some((
                fileerror::STORAGE_LIMIT,
                fileerror_text(fileerror::STORAGE_LIMIT).to_string(),
            )),
            _ => None,
        };
        if let Some((code, msg)) = early {
            return self.end_web_upload(key, code, &msg, &name, 0).await;
        }
        let declared = resp.content_length.map(|l| l.to_string());
        let mut body = FetchBody::new(self, resp, max, room);
        body.progress = Some((key, &name, total));
        let outcome = self
            .upload_simple(
                &Caller::owner(job.user_id),
                SimpleRequest {
                    filename: Some(&name),
                    declared_size: declared.as_deref(),
                    declared_hash: None,
                    dest: Destination {
                        folder_key: job.folder_key.as_deref(),
                        path: job.path.as_deref(),
                    },
                    on_duplicate: job.on_duplicate,
                    mtime_us: None,
                },
                &mut body,
            )
            .await;
        let received = body.received as i64;
        let failure = body.failure.take();
        match (outcome, failure) {
            (Ok(SimpleOutcome::Key(inner)), _) => self.adopt_upload(key, &inner, received).await,
            (_, Some((code, msg))) => self.end_web_upload(key, code, &msg, &name, received).await,
            (Ok(SimpleOutcome::Refused(code)), None) => {
                tracing::warn!(code, "web upload refused by the upload path");
                self.end_web_upload(key, fileerror::UNKNOWN, "internal error", &name, received)
                    .await
            }
            (Err(e), None) => {
                let code = match e.code {
                    codes::INVALID_FOLDERKEY
                    | codes::CANT_MODIFY_DELETED_ITEMS
                    | codes::ACCESS_DENIED => fileerror::NO_FOLDER,
                    codes::LIMIT_EXCEEDED => fileerror::STORAGE_LIMIT,
                    codes::FILE_ALREADY_EXISTS => fileerror::DUPLICATE,
                    _ => fileerror::UNKNOWN,
                };
                self.end_web_upload(key, code, fileerror_text(code), &name, received)
                    .await
            }
        }
    }

    /// Records progress (best effort: a failed write is logged, the upload goes on).
    async fn web_progress(&self, key: &str, status: i64, received: i64, total: i64, name: &str) {
        let res = async {
            let mut tx = self.db().begin_write().await?;
            store::set_progress(
                &mut tx,
                key,
                status,
                received,
                total,
                name,
                now_us(),
                WEB_DONE,
            )
            .await?;
            if status == WEB_DOWNLOADED {
                store::set_upload_status(&mut tx, key, POLL_COMPLETED, now_us()).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "recording web upload progress");
        }
    }

    /// Copies the result of the inner upload `inner` to the web upload's key and ends it.
    async fn adopt_upload(&self, key: &str, inner: &str, received: i64) -> Result<(), ApiError> {
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut row = store_uploads::upload_by_key(&mut tx, inner)
            .await
            .map_err(db_err)?
            .ok_or_else(|| internal("the inner upload key vanished"))?;
        row.upload_key = key.to_string();
        row.status = STATUS_DONE;
        row.updated_us = now_us();
        store_uploads::update_upload(&mut tx, &row)
            .await
            .map_err(db_err)?;
        store::delete_upload_key(&mut tx, inner)
            .await
            .map_err(db_err)?;
        let error_status = match row.fileerror.as_str() {
            "" => 0,
            code => code.parse().unwrap_or(6),
        };
        store::finish(
            &mut tx,
            key,
            WEB_DONE,
            error_status,
            fileerror_text(&row.fileerror),
            &row.quickkey,
            &row.file_name,
            received,
            row.updated_us,
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)
    }

    /// Ends a web upload as failed with fileerror `code` and the reason in words.
    async fn end_web_upload(
        &self,
        key: &str,
        code: &str,
        message: &str,
        name: &str,
        received: i64,
    ) -> Result<(), ApiError> {
        let now = now_us();
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        store::fail_upload_key(&mut tx, key, STATUS_DONE, code, name, received, now)
            .await
            .map_err(db_err)?;
        store::finish(
            &mut tx,
            key,
            WEB_DONE,
            code.parse().unwrap_or(6),
            message,
            "",
            name,
            received,
            now,
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(internal)
    }

    /// Ends, as failed, the web uploads a dead process left running: on SQLite every one
    /// created before `started` (this process's start), and on both databases every one past
    /// its deadline. Run by the job worker at start (with `started`) and every minute.
    pub async fn end_interrupted_web_uploads(&self, started: Option<i64>) {
        let created_before = match (self.db().dialect(), started) {
            (Dialect::Sqlite, Some(t)) => t,
            _ => i64::MIN,
        };
        let res = async {
            let mut tx = self.db().begin_write().await?;
            let n = store::fail_interrupted(
                &mut tx,
                created_before,
                now_us(),
                WEB_DONE,
                fileerror::UNKNOWN.parse().unwrap_or(6),
                "interrupted: the server stopped during the upload",
            )
            .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(n)
        }
        .await;
        match res {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "web uploads interrupted by a restart ended as failed"),
            Err(e) => tracing::error!(error = %e, "ending interrupted web uploads"),
        }
    }

    /// `upload/get_web_uploads`: the caller's web uploads, newest first — only running ones
    /// unless `all`, only `upload_key` when given (someone else's key lists nothing).
    pub async fn web_uploads(
        &self,
        caller: &Caller,
        all: bool,
        upload_key: Option<&str>,
    ) -> Result<Vec<WebUploadRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        store::list_web_uploads(
            &mut c,
            caller.user_id,
            (!all).then_some(WEB_DONE),
            upload_key,
            LIST_LIMIT,
        )
        .await
        .map_err(db_err)
    }

    /// `upload/get_options`: the user's upload preferences (defaults: skip, all enabled).
    pub async fn upload_options(&self, user_id: i64) -> Result<UploadOptions, ApiError> {
        let stored = store_accounts::get_settings(self.db(), user_id)
            .await
            .map_err(internal)?;
        let get = |name: &str| {
            stored
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        Ok(UploadOptions {
            action_on_duplicate: UploadDuplicate::parse(get(OPT_DUPLICATE))
                .unwrap_or(UploadDuplicate::Skip),
            disable_instant: get(OPT_INSTANT_ENABLED) == Some("no"),
            disable_flash: get(OPT_FLASH) == Some("yes"),
            disable_html5: get(OPT_HTML5) == Some("yes"),
        })
    }

    /// `upload/set_options`: stores the given preferences.
    pub async fn set_upload_options(
        &self,
        user_id: i64,
        changes: &UploadOptionChanges,
    ) -> Result<(), ApiError> {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut writes: Vec<(&str, &str)> = Vec::new();
        if let Some(d) = changes.action_on_duplicate {
            writes.push((OPT_DUPLICATE, duplicate_name(d)));
        }
        if let Some(b) = changes.disable_instant {
            writes.push((OPT_INSTANT_ENABLED, yes_no(!b)));
        }
        if let Some(b) = changes.disable_flash {
            writes.push((OPT_FLASH, yes_no(b)));
        }
        if let Some(b) = changes.disable_html5 {
            writes.push((OPT_HTML5, yes_no(b)));
        }
        for (name, value) in writes {
            store_accounts::set_setting(self.db(), user_id, name, value)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// The `action_on_duplicate` of an upload call: the given value (any other than
    /// skip/keep/replace is 129), else the user's default from upload/set_options.
    pub async fn upload_duplicate(
        &self,
        user_id: i64,
        given: Option<&str>,
    ) -> Result<UploadDuplicate, ApiError> {
        match given.filter(|v| !v.is_empty()) {
            Some(v) => UploadDuplicate::parse(Some(v)),
            None => Ok(self.upload_options(user_id).await?.action_on_duplicate),
        }
    }

    /// `user/set_avatar url=…`: fetches the image (synchronously, through the same checks as a
    /// web upload, within 30 s and `max_image_size`), stores it as a file in the caller's root
    /// (a new name if taken) and makes it the avatar as `quick_key=` does. The response's
    /// content type must be an image type `image_ext` knows (else 142); the file's name is the
    /// suggested one, with that extension appended when `is_image` does not accept it.
    pub async fn set_avatar_from_url(
        &self,
        caller: &Caller,
        url: &str,
        image_ext: impl Fn(&str) -> Option<&'static str>,
        is_image: impl Fn(&str) -> bool,
        shown: &str,
    ) -> Result<AvatarFromUrl, ApiError> {
        let timeout = self.settings().web_upload_timeout.min(AVATAR_TIMEOUT);
        let policy = self.fetch_policy(timeout);
        let first = safe_fetch::check(url, &policy)
            .await
            .map_err(|e| url_error(&e))?;
        let resp = safe_fetch::fetch(first, &policy)
            .await
            .map_err(|e| fetch_error(&e))?;
        let mime = resp
            .content_type
            .as_deref()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let Some(ext) = image_ext(&mime) else {
            return Err(ApiError::new(codes::INVALID_FILE_TYPE));
        };
        let max = match self.settings().limits.max_image_size {
            0 => self.web_max_bytes(),
            m => m,
        };
        let too_large = || {
            ApiError::with_message(
                codes::UPLOAD_FAILED,
                format!("Upload Failed: the image is larger than {max} bytes"),
            )
        };
        if resp.content_length.is_some_and(|l| l > max) {
            return Err(too_large());
        }
        let mut name = safe_fetch::suggested_name(resp.content_disposition.as_deref(), &resp.url)
            .unwrap_or_else(|| "avatar".to_string());
        if !is_image(&name) {
            name = safe_fetch::sanitize_name(&format!("{name}.{ext}"))
                .filter(|n| is_image(n))
                .unwrap_or_else(|| format!("avatar.{ext}"));
        }
        let user = self.user(caller.user_id).await?;
        let room = (user.quota_bytes - user.used_bytes).max(0) as u64;
        let declared = resp.content_length.map(|l| l.to_string());
        let mut body = FetchBody::new(self, resp, max, room);
        let outcome = self
            .upload_simple(
                caller,
                SimpleRequest {
                    filename: Some(&name),
                    declared_size: declared.as_deref(),
                    declared_hash: None,
                    dest: Destination::default(),
                    on_duplicate: UploadDuplicate::Keep,
                    mtime_us: None,
                },
                &mut body,
            )
            .await?;
        let key = match (outcome, body.failure.take()) {
            (SimpleOutcome::Key(k), _) => k,
            (_, Some((fileerror::TOO_LARGE, _))) => return Err(too_large()),
            (_, Some((fileerror::STORAGE_LIMIT, _))) => {
                return Err(ApiError::new(codes::LIMIT_EXCEEDED))
            }
            (_, Some((_, msg))) => {
                return Err(ApiError::with_message(
                    codes::UPLOAD_FAILED,
                    format!("Upload Failed: {msg}"),
                ))
            }
            (SimpleOutcome::Refused(_), None) => return Err(ApiError::new(codes::UPLOAD_FAILED)),
        };
        let row = self
            .poll_upload(&key)
            .await?
            .ok_or_else(|| internal("the avatar's upload key vanished"))?;
        match row.fileerror.as_str() {
            "" => {}
            fileerror::STORAGE_LIMIT => return Err(ApiError::new(codes::LIMIT_EXCEEDED)),
            code => {
                return Err(ApiError::with_message(
                    codes::UPLOAD_FAILED,
                    format!("Upload Failed: {}", fileerror_text(code)),
                ))
            }
        }
        let file = self
            .set_avatar_from_file(caller, &row.quickkey, |f| is_image(&f.name), shown)
            .await?;
        Ok(AvatarFromUrl {
            file,
            upload_key: key,
        })
    }
}
