//! The resource tree: folders, files, earlier versions, content references and tombstones.
//!
//! Functions take a connection (`&mut AnyConnection`: a transaction from [`Db::begin_write`]
//! derefs to one), so the core composes a mutation, its revision bump and its reference counts
//! in one transaction. Times are microseconds; `trash_state` is 0 live, 1 deleted (top of a
//! trashed subtree), 2 inside a deleted folder.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use crate::{Db, Result, StoreError};

pub(crate) const FOLDER_COLS: &str =
    "id, user_id, folderkey, parent_id, name, description, tags, privacy, \
     created_us, mtime_us, revision, trash_state, delete_us, depth";
pub(crate) const FILE_COLS: &str = "id, user_id, quickkey, folder_id, name, description, privacy, \
     password_hash, created_us, mtime_us, revision, trash_state, delete_us, hash, size, downloads";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    pub id: i64,
    pub user_id: i64,
    pub folderkey: String,
    /// `None` for the root.
    pub parent_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub tags: String,
    pub privacy: String,
    pub created_us: i64,
    pub mtime_us: i64,
    pub revision: i64,
    pub trash_state: i64,
    pub delete_us: i64,
    pub depth: i64,
}

impl FolderRow {
    pub(crate) fn from_row(r: &AnyRow) -> Result<FolderRow> {
        Ok(FolderRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            folderkey: r.try_get(2)?,
            parent_id: r.try_get(3)?,
            name: r.try_get(4)?,
            description: r.try_get(5)?,
            tags: r.try_get(6)?,
            privacy: r.try_get(7)?,
            created_us: r.try_get(8)?,
            mtime_us: r.try_get(9)?,
            revision: r.try_get(10)?,
            trash_state: r.try_get(11)?,
            delete_us: r.try_get(12)?,
            depth: r.try_get(13)?,
        })
    }

    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub id: i64,
    pub user_id: i64,
    pub quickkey: String,
    pub folder_id: i64,
    pub name: String,
    pub description: String,
    pub privacy: String,
    /// Argon2 hash of the file's download password; empty = none.
    pub password_hash: String,
    pub created_us: i64,
    pub mtime_us: i64,
    pub revision: i64,
    pub trash_state: i64,
    pub delete_us: i64,
    /// SHA-256 hex of the current content.
    pub hash: String,
    pub size: i64,
    pub downloads: i64,
}

impl FileRow {
    pub(crate) fn from_row(r: &AnyRow) -> Result<FileRow> {
        Ok(FileRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            quickkey: r.try_get(2)?,
            folder_id: r.try_get(3)?,
            name: r.try_get(4)?,
            description: r.try_get(5)?,
            privacy: r.try_get(6)?,
            password_hash: r.try_get(7)?,
            created_us: r.try_get(8)?,
            mtime_us: r.try_get(9)?,
            revision: r.try_get(10)?,
            trash_state: r.try_get(11)?,
            delete_us: r.try_get(12)?,
            hash: r.try_get(13)?,
            size: r.try_get(14)?,
            downloads: r.try_get(15)?,
        })
    }
}

/// A folder to insert.
pub struct NewFolder<'a> {
    pub user_id: i64,
    pub folderkey: &'a str,
    pub parent_id: Option<i64>,
    pub name: &'a str,
    pub description: &'a str,
    pub privacy: &'a str,
    pub created_us: i64,
    pub mtime_us: i64,
    pub revision: i64,
    pub trash_state: i64,
    pub depth: i64,
}

pub async fn insert_folder(conn: &mut AnyConnection, f: &NewFolder<'_>) -> Result<FolderRow> {
    let sql = format!(
        "INSERT INTO folders (user_id, folderkey, parent_id, name, description, privacy, created_us, \
         mtime_us, revision, trash_state, depth) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         RETURNING {FOLDER_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(f.user_id)
        .bind(f.folderkey)
        .bind(f.parent_id)
        .bind(f.name)
        .bind(f.description)
        .bind(f.privacy)
        .bind(f.created_us)
        .bind(f.mtime_us)
        .bind(f.revision)
        .bind(f.trash_state)
        .bind(f.depth)
        .fetch_one(&mut *conn)
        .await?;
    FolderRow::from_row(&row)
}

/// A file to insert.
pub struct NewFile<'a> {
    pub user_id: i64,
    pub quickkey: &'a str,
    pub folder_id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub privacy: &'a str,
    pub password_hash: &'a str,
    pub created_us: i64,
    pub mtime_us: i64,
    pub revision: i64,
    pub trash_state: i64,
    pub hash: &'a str,
    pub size: i64,
}

pub async fn insert_file(conn: &mut AnyConnection, f: &NewFile<'_>) -> Result<FileRow> {
    let sql = format!(
        "INSERT INTO files (user_id, quickkey, folder_id, name, description, privacy, password_hash, \
         created_us, mtime_us, revision, trash_state, hash, size) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {FILE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(f.user_id)
        .bind(f.quickkey)
        .bind(f.folder_id)
        .bind(f.name)
        .bind(f.description)
        .bind(f.privacy)
        .bind(f.password_hash)
        .bind(f.created_us)
        .bind(f.mtime_us)
        .bind(f.revision)
        .bind(f.trash_state)
        .bind(f.hash)
        .bind(f.size)
        .fetch_one(&mut *conn)
        .await?;
    FileRow::from_row(&row)
}

pub async fn root_folder(conn: &mut AnyConnection, user_id: i64) -> Result<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE user_id = $1 AND parent_id IS NULL");
    let row = sqlx::query(&sql)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FolderRow::from_row).transpose()
}

pub async fn folder_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE folderkey = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FolderRow::from_row).transpose()
}

pub async fn folder_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FolderRow::from_row).transpose()
}

pub async fn file_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<FileRow>> {
    let sql = format!("SELECT {FILE_COLS} FROM files WHERE quickkey = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FileRow::from_row).transpose()
}

/// A live child folder named exactly `name`.
pub async fn child_folder_named(
    conn: &mut AnyConnection,
    parent_id: i64,
    name: &str,
) -> Result<Option<FolderRow>> {
    let sql = format!(
        "SELECT {FOLDER_COLS} FROM folders WHERE parent_id = $1 AND trash_state = 0 AND name = $2 \
         ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(parent_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FolderRow::from_row).transpose()
}

/// A live file named exactly `name` in `folder_id`.
pub async fn child_file_named(
    conn: &mut AnyConnection,
    folder_id: i64,
    name: &str,
) -> Result<Option<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE folder_id = $1 AND trash_state = 0 AND name = $2 \
         ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(FileRow::from_row).transpose()
}

/// Sort keys of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Name,
    Created,
    Size,
    Downloads,
}

/// One page of live children. `public_only` restricts to public items (non-owners).
pub struct Page {
    pub order: Order,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    pub public_only: bool,
}

fn order_clause(db: &Db, order: Order, descending: bool, is_files: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    let col = match order {
        Order::Name => db.dialect().order_by_name("name"),
        Order::Created => "created_us".into(),
        // Folders have no size or download count: they sort by name.
        Order::Size if is_files => "size".into(),
        Order::Downloads if is_files => "downloads".into(),
        _ => db.dialect().order_by_name("name"),
    };
    format!("ORDER BY {col} {dir}, id {dir}")
}

pub async fn list_child_folders(
    db: &Db,
    conn: &mut AnyConnection,
    parent_id: i64,
    page: &Page,
) -> Result<Vec<FolderRow>> {
    let public = if page.public_only {
        " AND privacy = 'public'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {FOLDER_COLS} FROM folders WHERE parent_id = $1 AND trash_state = 0{public} {} \
         LIMIT $2 OFFSET $3",
        order_clause(db, page.order, page.descending, false)
    );
    let rows = sqlx::query(&sql)
        .bind(parent_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FolderRow::from_row).collect()
}

pub async fn list_child_files(
    db: &Db,
    conn: &mut AnyConnection,
    folder_id: i64,
    page: &Page,
) -> Result<Vec<FileRow>> {
    let public = if page.public_only {
        " AND privacy = 'public'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE folder_id = $1 AND trash_state = 0{public} {} \
         LIMIT $2 OFFSET $3",
        order_clause(db, page.order, page.descending, true)
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FileRow::from_row).collect()
}

/// Live direct children: (folders, files).
pub async fn count_children(conn: &mut AnyConnection, folder_id: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM folders WHERE parent_id = $1 AND trash_state = 0), \
                (SELECT COUNT(*) FROM files WHERE folder_id = $1 AND trash_state = 0)",
    )
    .bind(folder_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?))
}

const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
     UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)";

/// The folder and every folder below it, parents before children.
pub async fn subtree_folders(conn: &mut AnyConnection, folder_id: i64) -> Result<Vec<FolderRow>> {
    let sql = format!(
        "{SUBTREE} SELECT {FOLDER_COLS} FROM folders WHERE id IN (SELECT id FROM sub) ORDER BY depth, id"
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FolderRow::from_row).collect()
}

/// Every file below the folder (any depth).
pub async fn subtree_files(conn: &mut AnyConnection, folder_id: i64) -> Result<Vec<FileRow>> {
    let sql = format!(
        "{SUBTREE} SELECT {FILE_COLS} FROM files WHERE folder_id IN (SELECT id FROM sub) ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FileRow::from_row).collect()
}

/// Recursive totals of live content below a folder: (folders, files, bytes).
pub async fn subtree_totals(conn: &mut AnyConnection, folder_id: i64) -> Result<(i64, i64, i64)> {
    let sql = format!(
        "{SUBTREE} SELECT \
           (SELECT COUNT(*) FROM folders WHERE id IN (SELECT id FROM sub) AND id <> $1 AND trash_state = 0), \
           (SELECT COUNT(*) FROM files WHERE folder_id IN (SELECT id FROM sub) AND trash_state = 0), \
           (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE folder_id IN (SELECT id FROM sub) AND trash_state = 0)"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// The ancestors of a folder, root first, the folder itself excluded.
pub async fn ancestors(conn: &mut AnyConnection, folder_id: i64) -> Result<Vec<FolderRow>> {
    let sql = format!(
        "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM folders WHERE id = $1 \
         UNION ALL SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id) \
         SELECT {FOLDER_COLS} FROM folders WHERE id IN (SELECT id FROM up) AND id <> $1 ORDER BY depth"
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FolderRow::from_row).collect()
}

/// Changes to a folder row; `None` fields stay.
#[derive(Default)]
pub struct FolderChange<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub privacy: Option<&'a str>,
    pub mtime_us: Option<i64>,
    pub parent_id: Option<i64>,
    pub depth: Option<i64>,
    pub trash_state: Option<i64>,
    pub delete_us: Option<i64>,
}

pub async fn update_folder(
    conn: &mut AnyConnection,
    id: i64,
    revision: i64,
    c: &FolderChange<'_>,
) -> Result<()> {
    update_row(
        conn,
        "folders",
        id,
        revision,
        &[
            ("name", c.name),
            ("description", c.description),
            ("privacy", c.privacy),
        ],
        &[
            ("mtime_us", c.mtime_us),
            ("parent_id", c.parent_id),
            ("depth", c.depth),
            ("trash_state", c.trash_state),
            ("delete_us", c.delete_us),
        ],
    )
    .await
}

/// `UPDATE table SET revision = …, <the Some columns> WHERE id = …` (NotFound when no row).
async fn update_row(
    conn: &mut AnyConnection,
    table: &str,
    id: i64,
    revision: i64,
    texts: &[(&str, Option<&str>)],
    ints: &[(&str, Option<i64>)],
) -> Result<()> {
    let mut sets = vec!["revision = $2".to_string()];
    let texts: Vec<(&str, &str)> = texts
        .iter()
        .filter_map(|(c, v)| v.map(|v| (*c, v)))
        .collect();
    let ints: Vec<(&str, i64)> = ints
        .iter()
        .filter_map(|(c, v)| v.map(|v| (*c, v)))
        .collect();
    // Texts are bound first ($3…), then integers.
    for (i, (col, _)) in texts.iter().enumerate() {
        sets.push(format!("{col} = ${}", i + 3));
    }
    for (i, (col, _)) in ints.iter().enumerate() {
        sets.push(format!("{col} = ${}", texts.len() + i + 3));
    }
    let sql = format!("UPDATE {table} SET {} WHERE id = $1", sets.join(", "));
    let mut q = sqlx::query(&sql).bind(id).bind(revision);
    for (_, t) in texts {
        q = q.bind(t);
    }
    for (_, i) in ints {
        q = q.bind(i);
    }
    if q.execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Changes to a file row; `None` fields stay.
#[derive(Default)]
pub struct FileChange<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub privacy: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub mtime_us: Option<i64>,
    pub folder_id: Option<i64>,
    pub trash_state: Option<i64>,
    pub delete_us: Option<i64>,
    pub size: Option<i64>,
}

pub async fn update_file(
    conn: &mut AnyConnection,
    id: i64,
    revision: i64,
    c: &FileChange<'_>,
) -> Result<()> {
    update_row(
        conn,
        "files",
        id,
        revision,
        &[
            ("name", c.name),
            ("description", c.description),
            ("privacy", c.privacy),
            ("password_hash", c.password_hash),
            ("hash", c.hash),
        ],
        &[
            ("mtime_us", c.mtime_us),
            ("folder_id", c.folder_id),
            ("trash_state", c.trash_state),
            ("delete_us", c.delete_us),
            ("size", c.size),
        ],
    )
    .await
}

/// The folder and the part of its subtree that shares its fate: descendants reached without
/// passing an item deleted on its own (`trash_state = 1`), which stays in the trash as it is.
const OWNED_SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
     UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id WHERE f.trash_state <> 1)";

/// Moves every folder strictly below `folder_id` by `shift` levels (after a move).
pub async fn shift_depth_below(conn: &mut AnyConnection, folder_id: i64, shift: i64) -> Result<()> {
    if shift == 0 {
        return Ok(());
    }
    let sql = format!(
        "{SUBTREE} UPDATE folders SET depth = depth + $2 WHERE id IN (SELECT id FROM sub) AND id <> $1"
    );
    sqlx::query(&sql)
        .bind(folder_id)
        .bind(shift)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets `trash_state` and `revision` on the owned subtree strictly below `folder_id` (folders
/// and files), leaving items deleted on their own alone.
pub async fn set_state_below(
    conn: &mut AnyConnection,
    folder_id: i64,
    trash_state: i64,
    revision: i64,
) -> Result<()> {
    let sql = format!(
        "{OWNED_SUBTREE} UPDATE folders SET trash_state = $2, revision = $3 \
         WHERE id IN (SELECT id FROM sub) AND id <> $1"
    );
    sqlx::query(&sql)
        .bind(folder_id)
        .bind(trash_state)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "{OWNED_SUBTREE} UPDATE files SET trash_state = $2, revision = $3 \
         WHERE folder_id IN (SELECT id FROM sub) AND trash_state <> 1"
    );
    sqlx::query(&sql)
        .bind(folder_id)
        .bind(trash_state)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The owned subtree (see [`set_state_below`]) of a folder: its folders (parents first) and
/// files, for a purge.
pub async fn owned_subtree(
    conn: &mut AnyConnection,
    folder_id: i64,
) -> Result<(Vec<FolderRow>, Vec<FileRow>)> {
    let sql = format!(
        "{OWNED_SUBTREE} SELECT {FOLDER_COLS} FROM folders WHERE id IN (SELECT id FROM sub) ORDER BY depth, id"
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_all(&mut *conn)
        .await?;
    let folders = rows
        .iter()
        .map(FolderRow::from_row)
        .collect::<Result<Vec<_>>>()?;
    let sql = format!(
        "{OWNED_SUBTREE} SELECT {FILE_COLS} FROM files WHERE folder_id IN (SELECT id FROM sub) \
         AND trash_state <> 1 ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_all(&mut *conn)
        .await?;
    let files = rows
        .iter()
        .map(FileRow::from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok((folders, files))
}

/// Items deleted on their own whose parent is among `folder_ids` (they outlive a purge of
/// their parent: the caller moves them to the root).
pub async fn separately_trashed_children(
    conn: &mut AnyConnection,
    folder_ids: &[i64],
) -> Result<(Vec<FolderRow>, Vec<FileRow>)> {
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for id in folder_ids {
        let sql =
            format!("SELECT {FOLDER_COLS} FROM folders WHERE parent_id = $1 AND trash_state = 1");
        for r in sqlx::query(&sql).bind(*id).fetch_all(&mut *conn).await? {
            folders.push(FolderRow::from_row(&r)?);
        }
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE folder_id = $1 AND trash_state = 1");
        for r in sqlx::query(&sql).bind(*id).fetch_all(&mut *conn).await? {
            files.push(FileRow::from_row(&r)?);
        }
    }
    Ok((folders, files))
}

/// The deepest folder depth below (and including) `folder_id`, relative to it (0 = no subfolders).
pub async fn subtree_height(conn: &mut AnyConnection, folder_id: i64) -> Result<i64> {
    let sql = format!(
        "{SUBTREE} SELECT CAST(MAX(depth) AS BIGINT) - (SELECT depth FROM folders WHERE id = $1) \
         FROM folders WHERE id IN (SELECT id FROM sub)"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Deletes the rows of an owned subtree (files first, then folders). The caller releases
/// content references, writes tombstones and re-parents separately trashed children first.
pub async fn delete_owned_subtree(
    conn: &mut AnyConnection,
    folder_ids: &[i64],
    file_ids: &[i64],
) -> Result<()> {
    for id in file_ids {
        sqlx::query("DELETE FROM files WHERE id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    // Children before parents: the list comes parents first.
    for id in folder_ids.iter().rev() {
        sqlx::query("DELETE FROM folders WHERE id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn delete_file(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Adds the next device revision of a user and returns it. The caller must
/// [`Db::forget_user`] after committing (the user row changed).
pub async fn next_revision(conn: &mut AnyConnection, user_id: i64) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE users SET device_revision = device_revision + 1 WHERE id = $1 RETURNING device_revision",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Records that the trash pseudo-folder changed at `revision`.
pub async fn touch_trash(conn: &mut AnyConnection, user_id: i64, revision: i64) -> Result<()> {
    sqlx::query("UPDATE users SET trash_revision = $2 WHERE id = $1")
        .bind(user_id)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn trash_revision(conn: &mut AnyConnection, user_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT trash_revision FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Changes a user's used bytes by `delta`. The caller must [`Db::forget_user`] after commit.
pub async fn add_used_bytes(conn: &mut AnyConnection, user_id: i64, delta: i64) -> Result<()> {
    sqlx::query("UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1")
        .bind(user_id)
        .bind(delta)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One more reference to stored content (inserting its row on first use).
pub async fn add_content_ref(
    conn: &mut AnyConnection,
    hash: &str,
    size: i64,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contents (hash, size, refs, created_us) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (hash) DO UPDATE SET refs = contents.refs + 1, unreferenced_us = NULL",
    )
    .bind(hash)
    .bind(size)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One reference less; at 0 the row records since when, and stays until the garbage
/// collector (crate::gc) removes the content after the grace period.
pub async fn release_content_ref(conn: &mut AnyConnection, hash: &str) -> Result<()> {
    sqlx::query(
        "UPDATE contents SET refs = refs - 1, \
         unreferenced_us = CASE WHEN refs - 1 <= 0 THEN $2 ELSE NULL END WHERE hash = $1",
    )
    .bind(hash)
    .bind(crate::dialect::now_us())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn content_refs(conn: &mut AnyConnection, hash: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT refs FROM contents WHERE hash = $1")
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
}

/// A permanently removed item, for device/get_changes `deleted`.
pub async fn insert_tombstone(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    key: &str,
    parent_key: &str,
    revision: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tombstones (user_id, kind, itemkey, parent_key, revision) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(kind)
    .bind(key)
    .bind(parent_key)
    .bind(revision)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Folders of `user_id` (trash included, root excluded) whose revision is in `(lo, hi]`.
pub async fn folders_changed(
    conn: &mut AnyConnection,
    user_id: i64,
    lo: i64,
    hi: i64,
) -> Result<Vec<FolderRow>> {
    let sql = format!(
        "SELECT {FOLDER_COLS} FROM folders WHERE user_id = $1 AND revision > $2 AND revision <= $3 \
         AND parent_id IS NOT NULL ORDER BY revision, id"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FolderRow::from_row).collect()
}

pub async fn files_changed(
    conn: &mut AnyConnection,
    user_id: i64,
    lo: i64,
    hi: i64,
) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE user_id = $1 AND revision > $2 AND revision <= $3 ORDER BY revision, id"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FileRow::from_row).collect()
}

/// A tombstone: (kind, key, parent key, revision).
pub type Tombstone = (String, String, String, i64);

pub async fn tombstones_between(
    conn: &mut AnyConnection,
    user_id: i64,
    lo: i64,
    hi: i64,
) -> Result<Vec<Tombstone>> {
    let rows = sqlx::query(
        "SELECT kind, itemkey, parent_key, revision FROM tombstones WHERE user_id = $1 \
         AND revision > $2 AND revision <= $3 ORDER BY revision, id",
    )
    .bind(user_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// Top-level items of the trash (`trash_state = 1`) of a user.
pub async fn trash_folders(
    conn: &mut AnyConnection,
    user_id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<FolderRow>> {
    let sql = format!(
        "SELECT {FOLDER_COLS} FROM folders WHERE user_id = $1 AND trash_state = 1 \
         ORDER BY delete_us DESC, id DESC LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FolderRow::from_row).collect()
}

pub async fn trash_files(
    conn: &mut AnyConnection,
    user_id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE user_id = $1 AND trash_state = 1 \
         ORDER BY delete_us DESC, id DESC LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FileRow::from_row).collect()
}

/// An earlier version of a file's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRow {
    pub id: i64,
    pub file_id: i64,
    pub revision: i64,
    pub hash: String,
    pub size: i64,
    pub created_us: i64,
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    file_id: i64,
    revision: i64,
    hash: &str,
    size: i64,
    created_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO file_versions (file_id, revision, hash, size, created_us) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(file_id)
    .bind(revision)
    .bind(hash)
    .bind(size)
    .bind(created_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Earlier versions of a file, newest first.
pub async fn versions(conn: &mut AnyConnection, file_id: i64) -> Result<Vec<VersionRow>> {
    let rows = sqlx::query(
        "SELECT id, file_id, revision, hash, size, created_us FROM file_versions WHERE file_id = $1 \
         ORDER BY revision DESC, id DESC",
    )
    .bind(file_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VersionRow {
                id: r.try_get(0)?,
                file_id: r.try_get(1)?,
                revision: r.try_get(2)?,
                hash: r.try_get(3)?,
                size: r.try_get(4)?,
                created_us: r.try_get(5)?,
            })
        })
        .collect()
}

pub async fn delete_version(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM file_versions WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Files of a user, most recently changed first (live only).
pub async fn recently_modified(
    conn: &mut AnyConnection,
    user_id: i64,
    limit: i64,
) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE user_id = $1 AND trash_state = 0 \
         ORDER BY revision DESC, id DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(FileRow::from_row).collect()
}
