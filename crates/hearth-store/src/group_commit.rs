//! Group commit: write transactions submitted while the writer is busy run together under
//! one `BEGIN IMMEDIATE … COMMIT` ([`Db::write_batched`]).
//!
//! Why: SQLite has one writer, and every commit writes each page it changed to the WAL. Small
//! uploads from many clients each change the same few pages (the user's row, the folder's
//! row, the last leaf of several indexes of `files`); one commit for several of them writes
//! those pages once, and the writer is taken once per batch instead of once per upload.
//!
//! How: a call queues its job and spawns a drain task (so a request that is dropped midway
//! still gets its job run or failed, never left queued), then waits for its result. A drain
//! task takes the writer, takes every queued job, and runs them in order in one transaction.
//! If every job succeeds, the batch commits. If one fails, the batch rolls back and each job
//! runs again alone, in its own transaction, in the same order — so a job may run twice, and
//! must change nothing but the database (and read its inputs from its own captures). Savepoints
//! per job would do the same without a second run, but SQLite then copies every page a job
//! touches into a statement journal: a cost on every job for a case that is rare. Results are
//! handed out only after the `COMMIT`, so nobody answers before its write is committed; if the
//! commit fails, every job of the batch gets the error. A drain that finds the queue empty
//! (its job ran in an earlier batch) gives the writer back at once.
//!
//! PostgreSQL has no single writer: each job runs in its own transaction.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use futures_util::future::BoxFuture;

use crate::{Conn, Db, Dialect, Result, StoreError};

/// A queued job: `run` may be called more than once (see the module documentation) and says
/// whether the job succeeded; `finish` hands its last result out once the batch's fate is
/// known (`None`: committed), or the error that kept it from running.
struct Job {
    run: RunJob,
    finish: FinishJob,
}

type RunJob = Box<dyn for<'t> FnMut(&'t mut Conn) -> BoxFuture<'t, bool> + Send>;
type FinishJob = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// The jobs waiting for the writer.
#[derive(Default)]
pub(crate) struct Queue(Mutex<VecDeque<Job>>);

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("group_commit::Queue")
    }
}

impl Queue {
    fn push(&self, job: Job) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
    }

    fn take_all(&self) -> Vec<Job> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }
}

/// A copy of a batch failure for each job of the batch.
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict => StoreError::Conflict,
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Mismatch(m) => StoreError::Mismatch(m.clone()),
        StoreError::Other(e) => StoreError::Other(anyhow!("{e:#}")),
    }
}

impl Db {
    /// Runs `job` as a write transaction, possibly together with other callers' jobs (see the
    /// module documentation). `Ok(Err(e))`: the job failed with `e` and changed nothing;
    /// `Err`: the database failed (the job's changes, if any, were not committed).
    ///
    /// `job` may be called twice (each time in a fresh transaction); it must change nothing
    /// but the database, and wait on nothing but this connection: other jobs wait behind it.
    pub async fn write_batched<T, E, F>(&self, job: F) -> Result<std::result::Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: for<'t> Fn(&'t mut Conn) -> BoxFuture<'t, std::result::Result<T, E>>
            + Send
            + Sync
            + 'static,
    {
        let (send, receive) = tokio::sync::oneshot::channel();
        let last = Arc::new(Mutex::new(None::<std::result::Result<T, E>>));
        let kept = last.clone();
        let job = Job {
            run: Box::new(move |conn| {
                let last = last.clone();
                let done = job(conn);
                Box::pin(async move {
                    let result = done.await;
                    let ok = result.is_ok();
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    ok
                })
            }),
            finish: Box::new(move |failure| {
                let result = kept.lock().unwrap_or_else(|e| e.into_inner()).take();
                let _ = send.send(match (failure, result) {
                    (None, Some(result)) => Ok(result),
                    // A job that failed changed nothing: its own error, whatever the batch did.
                    (Some(_), Some(Err(e))) => Ok(Err(e)),
                    (Some(e), _) => Err(copy(e)),
                    (None, None) => Err(StoreError::Other(anyhow!("a batched write did not run"))),
                });
            }),
        };
        match self.dialect() {
            Dialect::Postgres => run_batch(self, vec![job]).await,
            Dialect::Sqlite => {
                self.batch_queue().push(job);
                // This drain, or one that takes the writer before it, runs the job. The queue
                // is read only by a task holding the writer, so a taken job always runs.
                let db = self.clone();
                tokio::spawn(async move { run_batch(&db, Vec::new()).await });
            }
        }
        receive
            .await
            .map_err(|_| StoreError::Other(anyhow!("a batched write was dropped unrun")))?
    }
}

/// Takes the writer, then runs `first` and every job queued meanwhile in one transaction; if a
/// job fails, each job again in a transaction of its own.
async fn run_batch(db: &Db, first: Vec<Job>) {
    let mut conn = match db.writer().acquire().await {
        Ok(c) => c,
        Err(e) => return fail_all(first, &e.into()),
    };
    let mut jobs = first;
    if db.dialect() == Dialect::Sqlite {
        // Whatever queued while this task waited for the writer joins the batch.
        jobs.extend(db.batch_queue().take_all());
    }
    if jobs.is_empty() {
        return;
    }
    let begin = match db.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    };
    if jobs.len() > 1 {
        let mut tx = match sqlx::Connection::begin_with(&mut *conn, begin).await {
            Ok(tx) => tx,
            Err(e) => return fail_all(jobs, &e.into()),
        };
        let mut all_ok = true;
        for job in &mut jobs {
            if !(job.run)(&mut tx).await {
                all_ok = false;
                break;
            }
        }
        if all_ok {
            let failure = tx.commit().await.err().map(StoreError::from);
            for job in jobs {
                (job.finish)(failure.as_ref());
            }
            return;
        }
        if let Err(e) = tx.rollback().await {
            return fail_all(jobs, &e.into());
        }
    }
    // One job, or a batch where one failed: each job in its own transaction, in order.
    for mut job in jobs {
        let mut tx = match sqlx::Connection::begin_with(&mut *conn, begin).await {
            Ok(tx) => tx,
            Err(e) => {
                (job.finish)(Some(&e.into()));
                continue;
            }
        };
        let closed = if (job.run)(&mut tx).await {
            tx.commit().await
        } else {
            tx.rollback().await
        };
        (job.finish)(closed.err().map(StoreError::from).as_ref());
    }
}

fn fail_all(jobs: Vec<Job>, e: &StoreError) {
    for job in jobs {
        (job.finish)(Some(e));
    }
}
