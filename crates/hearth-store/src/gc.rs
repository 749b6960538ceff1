//! Stored-content bookkeeping for the delayed garbage collector and `hearth admin fsck`.
//!
//! A content row counts the file heads and earlier versions that use it (`refs`); at 0 it
//! records since when (`unreferenced_us`). The collector deletes a row only in a transaction
//! that re-checks `refs <= 0`, and removes the blob before committing; every transaction that
//! adds a reference checks the blob exists before committing (hearth-core), so a reference
//! never outlives its bytes.

use sqlx::{AnyConnection, Row as _};

use crate::{Db, Result};

/// Content unreferenced since before `cutoff_us`, oldest first.
pub async fn unreferenced_before(db: &Db, cutoff_us: i64, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT hash FROM contents WHERE refs <= 0 AND unreferenced_us < $1 \
         ORDER BY unreferenced_us LIMIT $2",
    )
    .bind(cutoff_us)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect()
}

/// Deletes the row of `hash` if it is still unreferenced since before `cutoff_us`.
pub async fn delete_unreferenced(
    conn: &mut AnyConnection,
    hash: &str,
    cutoff_us: i64,
) -> Result<bool> {
    let res =
        sqlx::query("DELETE FROM contents WHERE hash = $1 AND refs <= 0 AND unreferenced_us < $2")
            .bind(hash)
            .bind(cutoff_us)
            .execute(&mut *conn)
            .await?;
    Ok(res.rows_affected() == 1)
}

/// A content row as fsck sees it: its count, and the references actually found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentCheck {
    pub hash: String,
    pub size: i64,
    pub refs: i64,
    pub counted: i64,
}

/// Every content row, plus every hash referenced without a row (`refs` -1 then), with the
/// number of file heads and versions that reference it.
pub async fn content_checks(db: &Db) -> Result<Vec<ContentCheck>> {
    let rows = sqlx::query(
        "WITH used AS ( \
           SELECT hash, size FROM files UNION ALL SELECT hash, size FROM file_versions \
         ), counted AS (SELECT hash, MAX(size) AS size, COUNT(*) AS n FROM used GROUP BY hash) \
         SELECT c.hash, c.size, c.refs, COALESCE(u.n, 0) FROM contents c \
           LEFT JOIN counted u ON u.hash = c.hash \
         UNION ALL \
         SELECT u.hash, u.size, CAST(-1 AS BIGINT), u.n FROM counted u \
           WHERE NOT EXISTS (SELECT 1 FROM contents c WHERE c.hash = u.hash) \
         ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContentCheck {
                hash: r.try_get(0)?,
                size: r.try_get(1)?,
                refs: r.try_get(2)?,
                counted: r.try_get(3)?,
            })
        })
        .collect()
}

/// Sets a content row's count to what was found (fsck --repair).
pub async fn set_refs(db: &Db, hash: &str, refs: i64) -> Result<()> {
    sqlx::query(
        "UPDATE contents SET refs = $2, \
         unreferenced_us = CASE WHEN $2 <= 0 THEN COALESCE(unreferenced_us, $3) ELSE NULL END \
         WHERE hash = $1",
    )
    .bind(hash)
    .bind(refs)
    .bind(crate::dialect::now_us())
    .execute(db.writer())
    .await?;
    Ok(())
}
