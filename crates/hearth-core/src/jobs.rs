//! The asynchronous job queue (spec/sharing-sync.md §4): a folder/copy, folder/move,
//! folder/delete, folder/purge, folder/update with `privacy_recursive` or device/empty_trash
//! touching more than `async_threshold` items (folders and files of the subtrees involved) is
//! validated synchronously, planned as an ordered list of steps, queued, and answered at once
//! with `asynchronous: yes` and the device revision at acceptance. Smaller ones run inline
//! through the tree rules as before.
//!
//! Exactly once: the worker runs a job batch by batch; each batch is one write transaction with
//! its own device revision that changes the tree rows of up to [`BATCH`] steps and advances the
//! job's progress with them. A crash after a commit never redoes the batch, a crash before it
//! leaves nothing behind. A worker holds a job through a lease (compare-and-swap on the job
//! row, renewed by every batch and checked in the batch's own transaction), so several
//! processes on one PostgreSQL never run one batch twice; a job whose worker died is taken up
//! again when its lease expires (SQLite: at once when the server restarts).
//!
//! One job per account: while one is queued or running, every async-capable call of the
//! account is refused with 208. Steps re-read their item and skip it when it is gone or no
//! longer where the plan found it (changes made meanwhile through calls that are not refused).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::FolderKey;
use hearth_store::jobs::{self, JobRow, NewStep, Step};
use hearth_store::tree::{self, FileChange, FileRow, FolderChange, FolderRow, NewFolder};
use hearth_store::{Conn, Dialect, StoreError};

use crate::sessions::Caller;
use crate::tree::{valid_name, Target, DELETED, IN_DELETED, LIVE};
use crate::{internal, now_us, Core};

/// How often the worker removes expired resumable uploads.
const CLEANUP_EVERY: Duration = Duration::from_secs(60);
/// How long a finished job row stays (for an operator looking at the database) before the
/// worker removes it.
const FINISHED_JOBS_KEPT: Duration = Duration::from_secs(7 * 86_400);

/// Steps per batch (one write transaction, one device revision).
pub const BATCH: i64 = 100;
/// How long a worker holds a job without renewing (plus `job_batch_delay`).
const LEASE: Duration = Duration::from_secs(10);
/// How often an idle worker looks for work.
const POLL: Duration = Duration::from_millis(100);
/// Failed batches before a job is given up (the account is then free again).
const MAX_ATTEMPTS: i64 = 5;

const COPY: &str = "folder/copy";
const MOVE: &str = "folder/move";
const DELETE: &str = "folder/delete";
const PURGE: &str = "folder/purge";
const UPDATE: &str = "folder/update";
const EMPTY_TRASH: &str = "device/empty_trash";

const TOP_OPS: &[&str] = &[
    "copy_top",
    "move_top",
    "trash_top",
    "purge_top",
    "update_top",
];
const COPIED_FOLDER_OPS: &[&str] = &["copy_top", "copy_folder"];

fn db_err(e: StoreError) -> ApiError {
    internal(e)
}

/// How an async-capable call was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Ran inline; the revision after it.
    Inline(i64),
    /// Queued as a job; the device revision at acceptance.
    Queued(i64),
}

impl Done {
    pub fn revision(self) -> i64 {
        match self {
            Done::Inline(r) | Done::Queued(r) => r,
        }
    }

    /// The wire's `asynchronous` flag.
    pub fn asynchronous(self) -> bool {
        matches!(self, Done::Queued(_))
    }
}

/// The parameters a job needs besides its steps: `key=value` lines (`\` escapes `\` and
/// newlines), absent keys are `None`.
#[derive(Default, Debug, PartialEq, Eq)]
struct Payload(Vec<(String, String)>);

impl Payload {
    fn with(mut self, k: &str, v: Option<&str>) -> Payload {
        if let Some(v) = v {
            self.0.push((k.to_string(), v.to_string()));
        }
        self
    }

    fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('\\', "\\\\").replace('\n', "\\n")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn decode(s: &str) -> Payload {
        let mut out = Vec::new();
        for line in s.split('\n').filter(|l| !l.is_empty()) {
            let (k, raw) = line.split_once('=').unwrap_or((line, ""));
            let mut v = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                match (c, c == '\\') {
                    (_, true) => match chars.next() {
                        Some('n') => v.push('\n'),
                        Some(o) => v.push(o),
                        None => {}
                    },
                    (c, false) => v.push(c),
                }
            }
            out.push((k.to_string(), v));
        }
        Payload(out)
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    fn id(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(|v| v.parse().ok())
    }
}

/// What one batch accumulates besides the rows it changes.
struct BatchCtx {
    rev: i64,
    now: i64,
    added_bytes: i64,
    /// Folders whose direct content changed.
    touch: Vec<i64>,
    /// The top folder of each group (cached).
    tops: HashMap<i64, Option<i64>>,
    root: Option<FolderRow>,
}

impl Core {
    /// The kinds of the account's queued or running jobs (device/get_status).
    pub async fn jobs_in_progress(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        jobs::active_kinds(&mut c, user_id).await.map_err(db_err)
    }

    /// Removes jobs that ended more than `FINISHED_JOBS_KEPT` ago (nothing reads them after:
    /// the tree and the change log hold what they did). Returns how many.
    pub async fn prune_finished_jobs(&self) -> Result<u64, ApiError> {
        let before = now_us().saturating_sub(FINISHED_JOBS_KEPT.as_micros() as i64);
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let n = jobs::prune_finished(&mut tx, before)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        Ok(n)
    }

    /// 208 while the account has a job queued or running.
    async fn refuse_if_busy(&self, user_id: i64) -> Result<(), ApiError> {
        if self.jobs_in_progress(user_id).await?.is_empty() {
            Ok(())
        } else {
            Err(ApiError::new(codes::ASYNC_JOB_IN_PROGRESS))
        }
    }

    /// Items (folders and files, any state) in the subtrees of `folder_ids`.
    async fn count_items(&self, folder_ids: &[i64]) -> Result<u64, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let mut n = 0;
        for id in folder_ids {
            n += jobs::count_subtree(&mut c, *id).await.map_err(db_err)?;
        }
        Ok(n.max(0) as u64)
    }

    fn is_large(&self, items: u64) -> bool {
        items > self.settings().async_threshold
    }

    /// Writes the job and its steps and commits; returns the revision at acceptance.
    async fn enqueue(
        &self,
        mut tx: hearth_store::WriteTx,
        user_id: i64,
        kind: &str,
        payload: &Payload,
        steps: &[NewStep],
    ) -> Result<i64, ApiError> {
        let rev = jobs::device_revision(&mut tx, user_id)
            .await
            .map_err(db_err)?;
        let id = jobs::insert_job(
            &mut tx,
            user_id,
            kind,
            &payload.encode(),
            steps.len() as i64,
            now_us(),
        )
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::new(codes::ASYNC_JOB_IN_PROGRESS))?;
        jobs::insert_steps(&mut tx, id, steps)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(job = id, kind, user_id, steps = steps.len(), "job queued");
        Ok(rev)
    }

    async fn owned_folders(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<Vec<FolderRow>, ApiError> {
        let mut rows = Vec::new();
        for key in keys {
            rows.push(
                self.folder_for_write(caller, Target::of(Some(key), None))
                    .await?,
            );
        }
        Ok(rows)
    }

    /// `folder/copy`, as a job when large (see [`Core::copy_folders`]). The copies' keys are
    /// chosen at acceptance, so a queued copy answers them too.
    pub async fn copy_folders_or_queue(
        &self,
        caller: &Caller,
        sources: &[&str],
        dest: Target<'_>,
    ) -> Result<(Vec<String>, Done), ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let dest_row = self.live_folder_for_write(caller, dest).await?;
        let rows = self.owned_folders(caller, sources).await?;
        if rows.iter().any(|r| r.trash_state != LIVE) {
            return Err(ApiError::new(codes::CANT_MODIFY_DELETED_ITEMS));
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if !self.is_large(self.count_items(&ids).await?) {
            let (keys, rev) = self.copy_folders(caller, sources, dest).await?;
            return Ok((keys, Done::Inline(rev)));
        }
        let limits = &self.settings().limits;
        let user = self.user(caller.user_id).await?;
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut steps: Vec<NewStep> = Vec::new();
        let mut new_keys = Vec::new();
        let mut bytes = 0i64;
        for (grp, row) in rows.iter().enumerate() {
            let grp = grp as i64;
            let (folders, files) =
                crate::tree::copy_source(&mut tx, &row, &dest_row, limits).await?;
            // Parents before children; a folder below a trashed one is not copied.
            let mut copied = HashSet::new();
            for f in &folders {
                if f.id == row.id {
                    let key = FolderKey::generate().as_str().to_string();
                    new_keys.push(key.clone());
                    steps.push((grp, "copy_top", f.id, key));
                } else if f.parent_id.is_some_and(|p| copied.contains(&p)) {
                    steps.push((grp, "copy_folder", f.id, String::new()));
                } else {
                    continue;
                }
                copied.insert(f.id);
            }
            for f in files.iter().filter(|f| copied.contains(&f.folder_id)) {
                steps.push((grp, "copy_file", f.id, String::new()));
                bytes += f.size;
            }
        }
        if user.used_bytes + bytes > user.quota_bytes {
            return Err(ApiError::new(codes::LIMIT_EXCEEDED));
        }
        let payload = Payload::default().with("dest", Some(&dest_row.id.to_string()));
        let rev = self
            .enqueue(tx, caller.user_id, COPY, &payload, &steps)
            .await?;
        Ok((new_keys, Done::Queued(rev)))
    }

    /// `folder/move`, as a job when large (see [`Core::move_folders`]): each folder moves in
    /// one step; a folder moved out of the trash gets its subtree back step by step.
    pub async fn move_folders_or_queue(
        &self,
        caller: &Caller,
        sources: &[&str],
        dest: Target<'_>,
    ) -> Result<Done, ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let dest_row = self.live_folder_for_write(caller, dest).await?;
        let rows = self.owned_folders(caller, sources).await?;
        if rows.iter().any(|r| r.is_root()) {
            return Err(ApiError::new(codes::FOLDER_PATH_CONFLICT));
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if !self.is_large(self.count_items(&ids).await?) {
            return Ok(Done::Inline(
                self.move_folders(caller, sources, dest).await?,
            ));
        }
        let limit = self.settings().limits.folder_depth_limit as i64;
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let dest_line = tree::ancestors(&mut tx, dest_row.id)
            .await
            .map_err(db_err)?;
        let mut steps: Vec<NewStep> = Vec::new();
        for (grp, row) in rows.iter().enumerate() {
            let grp = grp as i64;
            if dest_row.id == row.id || dest_line.iter().any(|a| a.id == row.id) {
                return Err(ApiError::new(codes::FOLDER_PATH_CONFLICT));
            }
            let height = tree::subtree_height(&mut tx, row.id)
                .await
                .map_err(db_err)?;
            if dest_row.depth + 1 + height > limit {
                return Err(ApiError::with_limit(
                    codes::FOLDER_DEPTH_LIMIT,
                    limit as u64,
                ));
            }
            steps.push((grp, "move_top", row.id, String::new()));
            if row.trash_state != LIVE {
                // Restored top-down: a live item never sits below a trashed one.
                let (folders, files) =
                    tree::owned_subtree(&mut tx, row.id).await.map_err(db_err)?;
                for f in folders.iter().filter(|f| f.id != row.id) {
                    steps.push((grp, "restore_folder", f.id, String::new()));
                }
                for f in &files {
                    steps.push((grp, "restore_file", f.id, String::new()));
                }
            }
        }
        let payload = Payload::default().with("dest", Some(&dest_row.id.to_string()));
        Ok(Done::Queued(
            self.enqueue(tx, caller.user_id, MOVE, &payload, &steps)
                .await?,
        ))
    }

    /// `folder/delete`, as a job when large (see [`Core::delete_folders`]): the subtree goes to
    /// the trash bottom-up, the folder itself last.
    pub async fn delete_folders_or_queue(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<Done, ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let rows = self.owned_folders(caller, keys).await?;
        for row in &rows {
            if row.is_root() {
                return Err(ApiError::new(codes::ACCESS_DENIED));
            }
            if row.trash_state != LIVE {
                return Err(ApiError::new(codes::FOLDER_ALREADY_DELETED));
            }
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if !self.is_large(self.count_items(&ids).await?) {
            return Ok(Done::Inline(self.delete_folders(caller, keys).await?));
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut steps: Vec<NewStep> = Vec::new();
        for (grp, row) in rows.iter().enumerate() {
            let grp = grp as i64;
            let (folders, files) = tree::owned_subtree(&mut tx, row.id).await.map_err(db_err)?;
            for f in &files {
                steps.push((grp, "trash_file", f.id, String::new()));
            }
            for f in folders.iter().rev().filter(|f| f.id != row.id) {
                steps.push((grp, "trash_folder", f.id, String::new()));
            }
            steps.push((grp, "trash_top", row.id, String::new()));
        }
        Ok(Done::Queued(
            self.enqueue(tx, caller.user_id, DELETE, &Payload::default(), &steps)
                .await?,
        ))
    }

    /// `folder/purge`, as a job when large (see [`Core::purge_folders`]): files first, then
    /// folders deepest first, the folder itself last.
    pub async fn purge_folders_or_queue(
        &self,
        caller: &Caller,
        keys: &[&str],
    ) -> Result<Done, ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let rows = self.owned_folders(caller, keys).await?;
        if rows.iter().any(|r| r.is_root()) {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if !self.is_large(self.count_items(&ids).await?) {
            return Ok(Done::Inline(self.purge_folders(caller, keys).await?));
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut steps: Vec<NewStep> = Vec::new();
        for (grp, row) in rows.iter().enumerate() {
            plan_purge(&mut tx, grp as i64, row.id, &mut steps).await?;
        }
        Ok(Done::Queued(
            self.enqueue(tx, caller.user_id, PURGE, &Payload::default(), &steps)
                .await?,
        ))
    }

    /// `folder/update`, as a job when it changes the privacy of a large subtree (see
    /// [`Core::update_folder`]): the folder itself first, then its subtree.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_folder_or_queue(
        &self,
        caller: &Caller,
        target: Target<'_>,
        name: Option<&str>,
        description: Option<&str>,
        privacy: Option<&str>,
        privacy_recursive: bool,
        mtime_us: Option<i64>,
    ) -> Result<Done, ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let inline = || {
            self.update_folder(
                caller,
                target,
                name,
                description,
                privacy,
                privacy_recursive,
                mtime_us,
            )
        };
        if !privacy_recursive || privacy.filter(|p| !p.is_empty()).is_none() {
            return Ok(Done::Inline(inline().await?));
        }
        // The checks of update_folder, in its order.
        let folder = self.live_folder_for_write(caller, target).await?;
        let name = match name.filter(|n| !n.is_empty()) {
            Some(n) if valid_name(n) => Some(n),
            Some(_) => return Err(ApiError::new(codes::INVALID_FOLDERNAME)),
            None => None,
        };
        let privacy = crate::tree::parse_privacy(privacy)?;
        if folder.is_root() && name.is_some() {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        if !self.is_large(self.count_items(&[folder.id]).await?) {
            return Ok(Done::Inline(inline().await?));
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut steps: Vec<NewStep> = vec![(0, "update_top", folder.id, String::new())];
        for f in tree::subtree_folders(&mut tx, folder.id)
            .await
            .map_err(db_err)?
        {
            if f.id != folder.id && f.trash_state == LIVE {
                steps.push((0, "privacy_folder", f.id, String::new()));
            }
        }
        for f in tree::subtree_files(&mut tx, folder.id)
            .await
            .map_err(db_err)?
        {
            if f.trash_state == LIVE {
                steps.push((0, "privacy_file", f.id, String::new()));
            }
        }
        let mtime = mtime_us.map(|m| m.to_string());
        let payload = Payload::default()
            .with("name", name)
            .with("description", description)
            .with("privacy", privacy)
            .with("mtime", mtime.as_deref());
        Ok(Done::Queued(
            self.enqueue(tx, caller.user_id, UPDATE, &payload, &steps)
                .await?,
        ))
    }

    /// `device/empty_trash`, as a job when large (see [`Core::empty_trash`]).
    pub async fn empty_trash_or_queue(&self, caller: &Caller) -> Result<Done, ApiError> {
        self.refuse_if_busy(caller.user_id).await?;
        let (folders, files) = {
            let mut c = self.db().acquire().await.map_err(db_err)?;
            (
                tree::trash_folders(&mut c, caller.user_id, 0, i64::MAX)
                    .await
                    .map_err(db_err)?,
                tree::trash_files(&mut c, caller.user_id, 0, i64::MAX)
                    .await
                    .map_err(db_err)?,
            )
        };
        let ids: Vec<i64> = folders.iter().map(|f| f.id).collect();
        if !self.is_large(self.count_items(&ids).await? + files.len() as u64) {
            return Ok(Done::Inline(self.empty_trash(caller).await?));
        }
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let mut steps: Vec<NewStep> = Vec::new();
        for (grp, f) in folders.iter().enumerate() {
            plan_purge(&mut tx, grp as i64, f.id, &mut steps).await?;
        }
        let grp = folders.len() as i64;
        for f in &files {
            steps.push((grp, "purge_trash_file", f.id, String::new()));
        }
        Ok(Done::Queued(
            self.enqueue(tx, caller.user_id, EMPTY_TRASH, &Payload::default(), &steps)
                .await?,
        ))
    }

    /// Starts the background worker that runs queued jobs (`hearth serve` and the test
    /// harness). On SQLite this process is the only server of the data directory, so jobs a
    /// crashed process held are taken up at once.
    /// Starts the background worker: jobs, and periodic housekeeping.
    pub fn start_jobs(&self) -> tokio::task::JoinHandle<()> {
        let core = self.clone();
        // Web uploads created before this moment were cut off by a restart (web_uploads.rs).
        let started = now_us();
        tokio::spawn(async move {
            core.end_interrupted_web_uploads(Some(started)).await;
            core.job_worker().await
        })
    }

    async fn job_worker(self) {
        let owner = hex::encode(rand::random::<[u8; 8]>());
        if self.db().dialect() == Dialect::Sqlite {
            if let Err(e) = self.reset_leases().await {
                tracing::error!(error = %e, "freeing job leases");
            }
            if let Err(e) = self.resume_interrupted_assemblies().await {
                tracing::error!(error = %e.message, "resuming interrupted assemblies");
            }
        }
        let mut last_cleanup = std::time::Instant::now();
        loop {
            // Housekeeping rides on the worker: abandoned resumable uploads expire.
            if last_cleanup.elapsed() >= CLEANUP_EVERY {
                last_cleanup = std::time::Instant::now();
                if let Err(e) = self.cleanup_resumable().await {
                    tracing::error!(error = %e.message, "removing expired resumable uploads");
                }
                self.end_interrupted_web_uploads(None).await;
                if let Err(e) = self.collect_garbage().await {
                    tracing::error!(error = %e, "collecting unreferenced content");
                }
                if let Err(e) = self.prune_finished_jobs().await {
                    tracing::error!(error = %e.message, "removing finished jobs");
                }
            }
            match self.claim_job(&owner).await {
                Ok(Some(job)) => self.run_job(job, &owner).await,
                Ok(None) => tokio::time::sleep(POLL).await,
                Err(e) => {
                    tracing::error!(error = %e, "claiming a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn reset_leases(&self) -> Result<(), StoreError> {
        let mut tx = self.db().begin_write().await?;
        jobs::reset_leases(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    fn lease_until(&self, now: i64) -> i64 {
        now + (LEASE + self.settings().job_batch_delay).as_micros() as i64
    }

    async fn claim_job(&self, owner: &str) -> Result<Option<JobRow>, StoreError> {
        let now = now_us();
        // Idle polling only reads: the claim takes the (SQLite: single) writer.
        {
            let mut c = self.db().acquire().await?;
            if !jobs::claimable(&mut c, now).await? {
                return Ok(None);
            }
        }
        let mut tx = self.db().begin_write().await?;
        let job = jobs::claim(&mut tx, owner, now, self.lease_until(now)).await?;
        tx.commit().await?;
        Ok(job)
    }

    async fn run_job(&self, mut job: JobRow, owner: &str) {
        tracing::info!(job = job.id, kind = %job.kind, done = job.done_steps, total = job.total_steps, "job started");
        loop {
            let delay = self.settings().job_batch_delay;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match self.run_batch(&job, owner).await {
                Ok(Some(done)) if done >= job.total_steps => {
                    tracing::info!(job = job.id, kind = %job.kind, "job done");
                    return;
                }
                Ok(Some(done)) => job.done_steps = done,
                Ok(None) => {
                    tracing::warn!(job = job.id, "job lease lost; another worker has it");
                    return;
                }
                Err(e) => {
                    let give_up = job.attempts + 1 >= MAX_ATTEMPTS;
                    tracing::error!(job = job.id, code = e.code, give_up, "job batch failed");
                    let now = now_us();
                    let retry = now + Duration::from_secs(2).as_micros() as i64;
                    let r = async {
                        let mut tx = self.db().begin_write().await?;
                        jobs::release_failed(&mut tx, job.id, owner, give_up, retry, now).await?;
                        tx.commit().await?;
                        Ok::<_, StoreError>(())
                    }
                    .await;
                    if let Err(e) = r {
                        tracing::error!(job = job.id, error = %e, "releasing a failed job");
                    }
                    return;
                }
            }
        }
    }

    /// One batch: `Some(done_steps)` after it, `None` when the lease was lost.
    async fn run_batch(&self, job: &JobRow, owner: &str) -> Result<Option<i64>, ApiError> {
        let payload = Payload::decode(&job.payload);
        let root = match job.kind.as_str() {
            PURGE | EMPTY_TRASH => Some(self.root_folder(job.user_id).await?),
            _ => None,
        };
        let mut tx = self.db().begin_write().await.map_err(db_err)?;
        let now = now_us();
        if !jobs::renew(
            &mut tx,
            job.id,
            owner,
            job.done_steps,
            now,
            self.lease_until(now),
        )
        .await
        .map_err(db_err)?
        {
            return Ok(None);
        }
        let steps = jobs::steps(&mut tx, job.id, job.done_steps, BATCH)
            .await
            .map_err(db_err)?;
        let rev = tree::next_revision(&mut tx, job.user_id)
            .await
            .map_err(db_err)?;
        let mut cx = BatchCtx {
            rev,
            now,
            added_bytes: 0,
            touch: Vec::new(),
            tops: HashMap::new(),
            root,
        };
        for step in &steps {
            self.run_step(&mut tx, job, &payload, step, &mut cx).await?;
        }
        if cx.added_bytes != 0 {
            tree::add_used_bytes(&mut tx, job.user_id, cx.added_bytes)
                .await
                .map_err(db_err)?;
        }
        cx.touch.sort_unstable();
        cx.touch.dedup();
        for id in cx.touch {
            touch(&mut tx, id, rev).await?;
        }
        let done = (job.done_steps + steps.len() as i64).min(job.total_steps);
        let finished = steps.is_empty() || done >= job.total_steps;
        let done = if finished { job.total_steps } else { done };
        jobs::advance(&mut tx, job.id, done, finished, now)
            .await
            .map_err(db_err)?;
        self.commit_tree(tx, job.user_id).await?;
        Ok(Some(done))
    }

    async fn run_step(
        &self,
        tx: &mut Conn,
        job: &JobRow,
        payload: &Payload,
        step: &Step,
        cx: &mut BatchCtx,
    ) -> Result<(), ApiError> {
        let uid = job.user_id;
        let rev = cx.rev;
        match step.op.as_str() {
            "copy_top" | "copy_folder" => {
                let Some(src) = live_folder(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                let parent_id = if step.op == "copy_top" {
                    payload.id("dest")
                } else {
                    match src.parent_id {
                        Some(p) => jobs::dst_of(tx, job.id, step.grp, p, COPIED_FOLDER_OPS)
                            .await
                            .map_err(db_err)?,
                        None => None,
                    }
                };
                let Some(parent) = (match parent_id {
                    Some(p) => live_folder(tx, uid, p).await?,
                    None => None,
                }) else {
                    return Ok(());
                };
                let generated;
                let key = if step.dst_key.is_empty() {
                    generated = FolderKey::generate();
                    generated.as_str()
                } else {
                    step.dst_key.as_str()
                };
                let copy = tree::insert_folder(
                    tx,
                    &NewFolder {
                        user_id: uid,
                        folderkey: key,
                        parent_id: Some(parent.id),
                        name: &src.name,
                        description: &src.description,
                        privacy: &src.privacy,
                        created_us: cx.now,
                        mtime_us: src.mtime_us,
                        revision: rev,
                        trash_state: LIVE,
                        depth: parent.depth + 1,
                    },
                )
                .await
                .map_err(db_err)?;
                jobs::set_dst(tx, job.id, step.seq, copy.id)
                    .await
                    .map_err(db_err)?;
                if step.op == "copy_top" {
                    cx.touch.push(parent.id);
                }
            }
            "copy_file" => {
                let Some(f) = file(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                if f.trash_state != LIVE {
                    return Ok(());
                }
                let Some(folder_id) =
                    jobs::dst_of(tx, job.id, step.grp, f.folder_id, COPIED_FOLDER_OPS)
                        .await
                        .map_err(db_err)?
                else {
                    return Ok(());
                };
                self.insert_file_copy(tx, uid, &f, folder_id, &f.name, rev, cx.now)
                    .await?;
                cx.added_bytes += f.size;
            }
            "move_top" => {
                let Some(row) = folder(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                let Some(dest) = (match payload.id("dest") {
                    Some(d) => live_folder(tx, uid, d).await?,
                    None => None,
                }) else {
                    return Ok(());
                };
                // Never into itself or below itself (the tree would lose its root).
                let dest_line = tree::ancestors(tx, dest.id).await.map_err(db_err)?;
                if row.is_root() || dest.id == row.id || dest_line.iter().any(|a| a.id == row.id) {
                    return Ok(());
                }
                // The items below come back step by step (restore_* steps).
                crate::tree::reparent_folder(tx, uid, &row, &dest, rev).await?;
                if let Some(old) = row.parent_id {
                    cx.touch.push(old);
                }
                cx.touch.push(dest.id);
            }
            "restore_folder" => {
                if let Some(f) = folder(tx, uid, step.src_id).await? {
                    if f.trash_state == IN_DELETED
                        && self.below_top(tx, job, step, cx, f.id).await?
                    {
                        set_folder_state(tx, f.id, LIVE, rev).await?;
                    }
                }
            }
            "restore_file" => {
                if let Some(f) = file(tx, uid, step.src_id).await? {
                    if f.trash_state == IN_DELETED
                        && self.below_top(tx, job, step, cx, f.folder_id).await?
                    {
                        set_file_state(tx, f.id, LIVE, rev).await?;
                    }
                }
            }
            "trash_folder" => {
                if let Some(f) = folder(tx, uid, step.src_id).await? {
                    if f.trash_state == LIVE && self.below_top(tx, job, step, cx, f.id).await? {
                        set_folder_state(tx, f.id, IN_DELETED, rev).await?;
                    }
                }
            }
            "trash_file" => {
                if let Some(f) = file(tx, uid, step.src_id).await? {
                    if f.trash_state == LIVE
                        && self.below_top(tx, job, step, cx, f.folder_id).await?
                    {
                        set_file_state(tx, f.id, IN_DELETED, rev).await?;
                    }
                }
            }
            "trash_top" => {
                let Some(row) = live_folder(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                tree::update_folder(
                    tx,
                    row.id,
                    rev,
                    &FolderChange {
                        trash_state: Some(DELETED),
                        delete_us: Some(cx.now),
                        ..Default::default()
                    },
                )
                .await
                .map_err(db_err)?;
                // Whatever was added below meanwhile goes along.
                jobs::sweep_state_below(tx, row.id, LIVE, IN_DELETED, rev)
                    .await
                    .map_err(db_err)?;
                if let Some(p) = row.parent_id {
                    cx.touch.push(p);
                }
                tree::touch_trash(tx, uid, rev).await.map_err(db_err)?;
            }
            "purge_file" => {
                if let Some(f) = file(tx, uid, step.src_id).await? {
                    // A file deleted on its own meanwhile stays in the trash (moved to the root
                    // when its folder goes).
                    if f.trash_state != DELETED
                        && self.below_top(tx, job, step, cx, f.folder_id).await?
                    {
                        self.purge_file_row(tx, uid, &f, rev).await?;
                    }
                }
            }
            "purge_trash_file" => {
                if let Some(f) = file(tx, uid, step.src_id).await? {
                    if f.trash_state == DELETED {
                        self.purge_file_row(tx, uid, &f, rev).await?;
                    }
                }
            }
            "purge_folder" => {
                if let Some(f) = folder(tx, uid, step.src_id).await? {
                    if f.trash_state != DELETED && self.below_top(tx, job, step, cx, f.id).await? {
                        let root = cx.root.clone().ok_or_else(|| internal("no root"))?;
                        self.purge_subtree(tx, uid, &f, &root, rev).await?;
                    }
                }
            }
            "purge_top" => {
                let Some(row) = folder(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                if row.is_root() || (job.kind == EMPTY_TRASH && row.trash_state != DELETED) {
                    return Ok(());
                }
                let root = cx.root.clone().ok_or_else(|| internal("no root"))?;
                let was_trashed = row.trash_state != LIVE;
                self.purge_subtree(tx, uid, &row, &root, rev).await?;
                if was_trashed {
                    tree::touch_trash(tx, uid, rev).await.map_err(db_err)?;
                } else if let Some(p) = row.parent_id {
                    cx.touch.push(p);
                }
            }
            "update_top" => {
                let Some(row) = live_folder(tx, uid, step.src_id).await? else {
                    return Ok(());
                };
                let name = payload.get("name");
                tree::update_folder(
                    tx,
                    row.id,
                    rev,
                    &FolderChange {
                        name,
                        description: payload.get("description"),
                        privacy: payload.get("privacy"),
                        mtime_us: payload.id("mtime"),
                        ..Default::default()
                    },
                )
                .await
                .map_err(db_err)?;
                if name.is_some() {
                    if let Some(p) = row.parent_id {
                        cx.touch.push(p);
                    }
                }
            }
            "privacy_folder" => {
                if let (Some(f), Some(p)) = (
                    live_folder(tx, uid, step.src_id).await?,
                    payload.get("privacy"),
                ) {
                    if self.below_top(tx, job, step, cx, f.id).await? {
                        let change = FolderChange {
                            privacy: Some(p),
                            ..Default::default()
                        };
                        tree::update_folder(tx, f.id, rev, &change)
                            .await
                            .map_err(db_err)?;
                    }
                }
            }
            "privacy_file" => {
                if let (Some(f), Some(p)) =
                    (file(tx, uid, step.src_id).await?, payload.get("privacy"))
                {
                    if f.trash_state == LIVE
                        && self.below_top(tx, job, step, cx, f.folder_id).await?
                    {
                        let change = FileChange {
                            privacy: Some(p),
                            ..Default::default()
                        };
                        tree::update_file(tx, f.id, rev, &change)
                            .await
                            .map_err(db_err)?;
                    }
                }
            }
            other => return Err(internal(format!("unknown job step {other}"))),
        }
        Ok(())
    }

    /// Whether `folder_id` is the step group's top folder or lies below it (an item moved
    /// elsewhere since the plan is left alone).
    async fn below_top(
        &self,
        tx: &mut Conn,
        job: &JobRow,
        step: &Step,
        cx: &mut BatchCtx,
        folder_id: i64,
    ) -> Result<bool, ApiError> {
        let top = match cx.tops.get(&step.grp) {
            Some(t) => *t,
            None => {
                let t = jobs::top_of(tx, job.id, step.grp, TOP_OPS)
                    .await
                    .map_err(db_err)?;
                cx.tops.insert(step.grp, t);
                t
            }
        };
        let Some(top) = top else { return Ok(false) };
        if folder_id == top {
            return Ok(true);
        }
        let line = tree::ancestors(tx, folder_id).await.map_err(db_err)?;
        Ok(line.iter().any(|a| a.id == top))
    }
}

/// Steps of a purge of `folder_id`: its owned files, its folders deepest first, itself last.
async fn plan_purge(
    tx: &mut Conn,
    grp: i64,
    folder_id: i64,
    steps: &mut Vec<NewStep>,
) -> Result<(), ApiError> {
    let (folders, files) = tree::owned_subtree(tx, folder_id).await.map_err(db_err)?;
    for f in &files {
        steps.push((grp, "purge_file", f.id, String::new()));
    }
    for f in folders.iter().rev().filter(|f| f.id != folder_id) {
        steps.push((grp, "purge_folder", f.id, String::new()));
    }
    steps.push((grp, "purge_top", folder_id, String::new()));
    Ok(())
}

async fn folder(tx: &mut Conn, uid: i64, id: i64) -> Result<Option<FolderRow>, ApiError> {
    Ok(tree::folder_by_id(tx, id)
        .await
        .map_err(db_err)?
        .filter(|f| f.user_id == uid))
}

async fn live_folder(tx: &mut Conn, uid: i64, id: i64) -> Result<Option<FolderRow>, ApiError> {
    Ok(folder(tx, uid, id).await?.filter(|f| f.trash_state == LIVE))
}

async fn file(tx: &mut Conn, uid: i64, id: i64) -> Result<Option<FileRow>, ApiError> {
    let Some(key) = jobs::file_key(tx, id).await.map_err(db_err)? else {
        return Ok(None);
    };
    Ok(tree::file_by_key(tx, &key)
        .await
        .map_err(db_err)?
        .filter(|f| f.user_id == uid))
}

async fn set_folder_state(tx: &mut Conn, id: i64, state: i64, rev: i64) -> Result<(), ApiError> {
    let change = FolderChange {
        trash_state: Some(state),
        ..Default::default()
    };
    tree::update_folder(tx, id, rev, &change)
        .await
        .map_err(db_err)
}

async fn set_file_state(tx: &mut Conn, id: i64, state: i64, rev: i64) -> Result<(), ApiError> {
    let change = FileChange {
        trash_state: Some(state),
        ..Default::default()
    };
    tree::update_file(tx, id, rev, &change)
        .await
        .map_err(db_err)
}

/// Stamps a folder whose direct content changed (it may be gone by now: then nothing).
async fn touch(tx: &mut Conn, id: i64, rev: i64) -> Result<(), ApiError> {
    match tree::update_folder(tx, id, rev, &FolderChange::default()).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(db_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        let p = Payload::default()
            .with("name", Some("a=b"))
            .with("description", Some("line\nnext \\n back\\"))
            .with("privacy", None)
            .with("mtime", Some("12"));
        let back = Payload::decode(&p.encode());
        assert_eq!(back, p);
        assert_eq!(back.get("privacy"), None);
        assert_eq!(back.id("mtime"), Some(12));
        assert_eq!(back.get("description"), Some("line\nnext \\n back\\"));
        assert_eq!(Payload::decode(""), Payload::default());
    }

    #[test]
    fn done_flags() {
        assert!(Done::Queued(3).asynchronous());
        assert!(!Done::Inline(3).asynchronous());
        assert_eq!(Done::Queued(3).revision(), 3);
    }
}
