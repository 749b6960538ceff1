//! Group commit: write transactions submitted while the writer is busy run together, each
//! in its own savepoint, under one `BEGIN IMMEDIATE … COMMIT` ([`Db::write_batched`]).
//!
//! Why: SQLite has one writer, and every commit writes each page it changed to the WAL. Small
//! uploads from many clients each change the same few pages (the user's row, the folder's
//! row, the last leaf of every index of `files`); one commit for several of them writes those
//! pages once, and the writer is taken once per batch instead of once per upload.
//!
//! How: a call queues its job and spawns a drain task (so a request that is dropped midway
//! still gets its job run or failed, never left queued), then waits for its result. A drain
//! task takes the writer, takes every queued job, and runs them in order, each inside a
//! savepoint: a job that fails is rolled back alone. Results are handed out only after the
//! `COMMIT`, so nobody answers before its write is committed; if the commit fails, every job of
//! the batch gets the error. A drain that finds the queue empty (its job ran in an earlier
//! batch) gives the writer back at once.
//!
//! PostgreSQL has no single writer: each job runs in its own transaction, as before.

use std::collections::VecDeque;
use std::sync::Mutex;

use anyhow::anyhow;
use futures_util::future::BoxFuture;
use sqlx::Connection as _;

use crate::{Conn, Db, Dialect, Result, StoreError};

/// What a job tells the batch after it ran: whether it succeeded (else its savepoint rolls
/// back), and how to hand its result out once the batch's fate is known (`None`: committed).
type Ran = (bool, Box<dyn FnOnce(Option<&StoreError>) + Send>);

/// A queued job: runs on the batch's connection (`Ok`), or is told the batch could not start.
type Job = Box<dyn for<'t> FnOnce(Result<&'t mut Conn>) -> BoxFuture<'t, Option<Ran>> + Send>;

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
    /// `job` must not wait on anything but this connection: other jobs wait behind it.
    pub async fn write_batched<T, E, F>(&self, job: F) -> Result<std::result::Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: for<'t> FnOnce(&'t mut Conn) -> BoxFuture<'t, std::result::Result<T, E>>
            + Send
            + 'static,
    {
        let (send, receive) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let conn = match conn {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return None;
                    }
                };
                let result = job(conn).await;
                let ok = result.is_ok();
                let hand_out = Box::new(move |failure: Option<&StoreError>| {
                    let _ = send.send(match (failure, result) {
                        (Some(e), Ok(_)) => Err(copy(e)),
                        (_, result) => Ok(result),
                    });
                });
                Some((ok, hand_out as Box<dyn FnOnce(Option<&StoreError>) + Send>))
            })
        });
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

/// Takes the writer, then runs `first` and every job queued meanwhile in one transaction.
async fn run_batch(db: &Db, first: Vec<Job>) {
    let mut conn = match db.writer().acquire().await {
        Ok(c) => c,
        Err(e) => return fail_all(first, e.into()).await,
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
    let mut tx = match sqlx::Connection::begin_with(&mut *conn, begin).await {
        Ok(tx) => tx,
        Err(e) => return fail_all(jobs, e.into()).await,
    };
    if jobs.len() == 1 {
        // One job: its own transaction, no savepoint; a failed job commits nothing.
        let Some(job) = jobs.pop() else { return };
        let Some((ok, hand_out)) = job(Ok(&mut *tx)).await else {
            return;
        };
        let closed = if ok {
            tx.commit().await
        } else {
            tx.rollback().await
        };
        return hand_out(closed.err().map(StoreError::from).as_ref());
    }
    let mut ran = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut savepoint = match tx.begin().await {
            Ok(s) => s,
            Err(e) => {
                job(Err(e.into())).await;
                continue;
            }
        };
        let Some((ok, hand_out)) = job(Ok(&mut *savepoint)).await else {
            continue;
        };
        let closed = if ok {
            savepoint.commit().await
        } else {
            savepoint.rollback().await
        };
        match closed {
            Ok(()) => ran.push((ok, hand_out)),
            Err(e) => hand_out(Some(&e.into())),
        }
    }
    let failure = tx.commit().await.err().map(StoreError::from);
    for (_, hand_out) in ran {
        hand_out(failure.as_ref());
    }
}

async fn fail_all(jobs: Vec<Job>, e: StoreError) {
    for job in jobs {
        job(Err(copy(&e))).await;
    }
}
