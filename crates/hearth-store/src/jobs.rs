//! The durable asynchronous job queue (migration 0005): jobs, their planned steps, leases.
//!
//! A job is planned once (its steps written with it in one transaction) and then run batch by
//! batch; a batch's tree changes and the job's progress (`done_steps`) commit together, so a
//! crash never redoes a committed batch. One job per account at a time: `active_user_id` is
//! UNIQUE and set only while the job is queued or running. A worker holds a job through a
//! lease taken and renewed with compare-and-swap updates, so several server processes on one
//! PostgreSQL never run one batch twice.

use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::{Conn as AnyConnection, Result};

/// A job as the worker sees it.
#[derive(Clone, Debug)]
pub struct JobRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub payload: String,
    pub total_steps: i64,
    pub done_steps: i64,
    pub attempts: i64,
}

const JOB_COLS: &str = "id, user_id, kind, payload, total_steps, done_steps, attempts";

impl JobRow {
    fn from_row(r: &AnyRow) -> Result<JobRow> {
        Ok(JobRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            payload: r.try_get(3)?,
            total_steps: r.try_get(4)?,
            done_steps: r.try_get(5)?,
            attempts: r.try_get(6)?,
        })
    }
}

/// One planned step of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub seq: i64,
    /// Which source of the call the step belongs to.
    pub grp: i64,
    pub op: String,
    pub src_id: i64,
    pub dst_id: Option<i64>,
    pub dst_key: String,
}

/// A step to plan: (grp, op, src_id, dst_key); `seq` is its index.
pub type NewStep = (i64, &'static str, i64, String);

/// Queues a job for `user_id`; `None` when the account already has a queued or running job.
pub async fn insert_job(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    payload: &str,
    total_steps: i64,
    now_us: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO jobs (user_id, active_user_id, kind, payload, state, total_steps, created_us, \
         updated_us) VALUES ($1, $1, $2, $3, 'queued', $4, $5, $5) \
         ON CONFLICT (active_user_id) DO NOTHING RETURNING id",
    )
    .bind(user_id)
    .bind(kind)
    .bind(payload)
    .bind(total_steps)
    .bind(now_us)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<i64, _>(0)?),
        None => None,
    })
}

/// Writes a job's planned steps (`seq` = index in `steps`), in multi-row inserts.
pub async fn insert_steps(conn: &mut AnyConnection, job_id: i64, steps: &[NewStep]) -> Result<()> {
    const CHUNK: usize = 200;
    for (c, chunk) in steps.chunks(CHUNK).enumerate() {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 5;
                format!(
                    "($1, ${}, ${}, ${}, ${}, ${})",
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO job_steps (job_id, seq, grp, op, src_id, dst_key) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(job_id);
        for (i, (grp, op, src, key)) in chunk.iter().enumerate() {
            q = q
                .bind((c * CHUNK + i) as i64)
                .bind(*grp)
                .bind(*op)
                .bind(*src)
                .bind(key.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The kinds (call names) of the account's queued or running jobs.
pub async fn active_kinds(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT kind FROM jobs WHERE active_user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect()
}

/// Whether some queued or running job's lease has expired (a cheap read before [`claim`],
/// which writes).
pub async fn claimable(conn: &mut AnyConnection, now_us: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT id FROM jobs WHERE active_user_id IS NOT NULL AND lease_until_us < $1 LIMIT 1",
    )
    .bind(now_us)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Takes the oldest queued or running job whose lease has expired (compare-and-swap on the
/// lease: a concurrent claimer re-checks the condition and gets nothing).
pub async fn claim(
    conn: &mut AnyConnection,
    owner: &str,
    now_us: i64,
    lease_until_us: i64,
) -> Result<Option<JobRow>> {
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until_us = $2, updated_us = $3 \
         WHERE id = (SELECT id FROM jobs WHERE active_user_id IS NOT NULL AND lease_until_us < $3 \
                     ORDER BY id LIMIT 1) \
           AND active_user_id IS NOT NULL AND lease_until_us < $3 \
         RETURNING {JOB_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(owner)
        .bind(lease_until_us)
        .bind(now_us)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(JobRow::from_row).transpose()
}

/// At the start of a batch: extends the lease if `owner` still holds it and the job is where
/// the owner left it. `false`: the job was taken over (or finished) — do nothing.
pub async fn renew(
    conn: &mut AnyConnection,
    job_id: i64,
    owner: &str,
    done_steps: i64,
    now_us: i64,
    lease_until_us: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET lease_until_us = $4, updated_us = $5 \
         WHERE id = $1 AND lease_owner = $2 AND done_steps = $3 AND active_user_id IS NOT NULL",
    )
    .bind(job_id)
    .bind(owner)
    .bind(done_steps)
    .bind(lease_until_us)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Up to `limit` steps from `from` (by `seq`).
pub async fn steps(
    conn: &mut AnyConnection,
    job_id: i64,
    from: i64,
    limit: i64,
) -> Result<Vec<Step>> {
    let rows = sqlx::query(
        "SELECT seq, grp, op, src_id, dst_id, dst_key FROM job_steps \
         WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
    )
    .bind(job_id)
    .bind(from)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Step {
                seq: r.try_get(0)?,
                grp: r.try_get(1)?,
                op: r.try_get(2)?,
                src_id: r.try_get(3)?,
                dst_id: r.try_get(4)?,
                dst_key: r.try_get(5)?,
            })
        })
        .collect()
}

/// Records what a step created (written in the step's batch).
pub async fn set_dst(conn: &mut AnyConnection, job_id: i64, seq: i64, dst_id: i64) -> Result<()> {
    sqlx::query("UPDATE job_steps SET dst_id = $3 WHERE job_id = $1 AND seq = $2")
        .bind(job_id)
        .bind(seq)
        .bind(dst_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What an earlier step of group `grp` with one of `ops` created from `src_id`.
pub async fn dst_of(
    conn: &mut AnyConnection,
    job_id: i64,
    grp: i64,
    src_id: i64,
    ops: &[&str],
) -> Result<Option<i64>> {
    let rows = sqlx::query(
        "SELECT op, dst_id FROM job_steps WHERE job_id = $1 AND grp = $2 AND src_id = $3",
    )
    .bind(job_id)
    .bind(grp)
    .bind(src_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let op: String = r.try_get(0)?;
        if ops.contains(&op.as_str()) {
            return Ok(r.try_get::<Option<i64>, _>(1)?);
        }
    }
    Ok(None)
}

/// Commits a batch's progress; the last batch finishes the job (it stops counting as active
/// and its steps are removed).
pub async fn advance(
    conn: &mut AnyConnection,
    job_id: i64,
    done_steps: i64,
    finished: bool,
    now_us: i64,
) -> Result<()> {
    if finished {
        sqlx::query(
            "UPDATE jobs SET done_steps = $2, state = 'done', active_user_id = NULL, \
             lease_owner = '', lease_until_us = 0, updated_us = $3 WHERE id = $1",
        )
        .bind(job_id)
        .bind(done_steps)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM job_steps WHERE job_id = $1")
            .bind(job_id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("UPDATE jobs SET done_steps = $2, updated_us = $3 WHERE id = $1")
            .bind(job_id)
            .bind(done_steps)
            .bind(now_us)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// After a failed batch: gives the job back (retry after `retry_at_us`), or, when `give_up`,
/// marks it failed so that the account is free again.
pub async fn release_failed(
    conn: &mut AnyConnection,
    job_id: i64,
    owner: &str,
    give_up: bool,
    retry_at_us: i64,
    now_us: i64,
) -> Result<()> {
    let sql = if give_up {
        "UPDATE jobs SET attempts = attempts + 1, state = 'failed', active_user_id = NULL, \
         lease_owner = '', lease_until_us = $3, updated_us = $4 WHERE id = $1 AND lease_owner = $2"
    } else {
        "UPDATE jobs SET attempts = attempts + 1, lease_owner = '', lease_until_us = $3, \
         updated_us = $4 WHERE id = $1 AND lease_owner = $2"
    };
    sqlx::query(sql)
        .bind(job_id)
        .bind(owner)
        .bind(retry_at_us)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Frees every lease (SQLite: the one server process of a data directory starts; nobody
/// else can be running a job).
pub async fn reset_leases(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET lease_owner = '', lease_until_us = 0 WHERE active_user_id IS NOT NULL",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes jobs that ended (done or failed) before `before_us`, with their steps; returns how
/// many jobs. Running and queued jobs are never touched.
pub async fn prune_finished(conn: &mut AnyConnection, before_us: i64) -> Result<u64> {
    const ENDED: &str =
        "active_user_id IS NULL AND state IN ('done', 'failed') AND updated_us < $1";
    sqlx::query(&format!(
        "DELETE FROM job_steps WHERE job_id IN (SELECT id FROM jobs WHERE {ENDED})"
    ))
    .bind(before_us)
    .execute(&mut *conn)
    .await?;
    let res = sqlx::query(&format!("DELETE FROM jobs WHERE {ENDED}"))
        .bind(before_us)
        .execute(&mut *conn)
        .await?;
    Ok(res.rows_affected())
}

/// The job's progress: (done_steps, total_steps, state).
pub async fn progress(conn: &mut AnyConnection, job_id: i64) -> Result<Option<(i64, i64, String)>> {
    let row = sqlx::query("SELECT done_steps, total_steps, state FROM jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
     UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)";

/// Folders (the folder itself included) and files in a folder's subtree, any state.
pub async fn count_subtree(conn: &mut AnyConnection, folder_id: i64) -> Result<i64> {
    let sql = format!(
        "{SUBTREE} SELECT (SELECT COUNT(*) FROM sub) + \
         (SELECT COUNT(*) FROM files WHERE folder_id IN (SELECT id FROM sub))"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Sets `to` (and `revision`) on the items strictly below `folder_id` whose state is `from`,
/// in its owned subtree: items deleted on their own (state 1) and what is below them are left
/// alone.
pub async fn sweep_state_below(
    conn: &mut AnyConnection,
    folder_id: i64,
    from: i64,
    to: i64,
    revision: i64,
) -> Result<()> {
    let sub = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
         UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id \
         WHERE f.trash_state <> 1)";
    let sql = format!(
        "{sub} UPDATE files SET trash_state = $3, revision = $4 \
         WHERE folder_id IN (SELECT id FROM sub) AND trash_state = $2"
    );
    sqlx::query(&sql)
        .bind(folder_id)
        .bind(from)
        .bind(to)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "{sub} UPDATE folders SET trash_state = $3, revision = $4 \
         WHERE id IN (SELECT id FROM sub) AND id <> $1 AND trash_state = $2"
    );
    sqlx::query(&sql)
        .bind(folder_id)
        .bind(from)
        .bind(to)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A file's quickkey by row id (the tree functions look files up by key).
pub async fn file_key(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    let row = sqlx::query("SELECT quickkey FROM files WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(r.try_get::<String, _>(0)?)).transpose()
}

/// The account's device revision as stored (bypassing the user-row cache).
pub async fn device_revision(conn: &mut AnyConnection, user_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT device_revision FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// The source of group `grp`'s top step (one of `ops`): the folder the call named.
pub async fn top_of(
    conn: &mut AnyConnection,
    job_id: i64,
    grp: i64,
    ops: &[&str],
) -> Result<Option<i64>> {
    let marks: Vec<String> = (0..ops.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT src_id FROM job_steps WHERE job_id = $1 AND grp = $2 AND op IN ({}) \
         ORDER BY seq LIMIT 1",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(job_id).bind(grp);
    for op in ops {
        q = q.bind(*op);
    }
    let row = q.fetch_optional(&mut *conn).await?;
    row.map(|r| Ok(r.try_get::<i64, _>(0)?)).transpose()
}
