//! Read-only tree queries with filters: folder listings restricted by privacy, file extension or
//! an excluded folder (folder/get_content, folder/get_siblings), and the name/description
//! search of a subtree (folder/search). Same rules as [`crate::tree`]: one SQL text for both
//! databases, `$N` placeholders, names ordered bytewise, ASCII-case-insensitive matching
//! through [`crate::Dialect::ilike`]. A listing page starts at an OFFSET or, when the caller
//! knows the last row of the page before, just after it ([`After`], keyset pagination).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use crate::dialect::{like_contains, like_escape};
use crate::tree::{FileRow, FolderRow, Order, Page};
use crate::{Db, Result};

use crate::tree::{FILE_COLS, FOLDER_COLS};

fn folder_row(r: &AnyRow) -> Result<FolderRow> {
    FolderRow::from_row(r)
}

fn file_row(r: &AnyRow) -> Result<FileRow> {
    FileRow::from_row(r)
}

/// Extra conditions on a listing or a search.
#[derive(Clone, Copy, Debug, Default)]
pub struct ItemFilter<'a> {
    /// Only items with this privacy (`public` / `private`).
    pub privacy: Option<&'a str>,
    /// Files only: the name ends in `.ext` (ASCII case ignored) for one of these extensions.
    /// An empty list matches nothing.
    pub extensions: Option<&'a [String]>,
    /// Folders only: leave this folder out (a folder's siblings).
    pub exclude_folder: Option<i64>,
}

/// A bound value of a query built at run time.
enum Arg {
    Int(i64),
    Text(String),
}

/// SQL conditions with their arguments, numbered from `first`.
struct Conditions {
    sql: String,
    args: Vec<Arg>,
    first: usize,
}

impl Conditions {
    fn new(first: usize) -> Conditions {
        Conditions {
            sql: String::new(),
            args: Vec::new(),
            first,
        }
    }

    /// The next placeholder, bound to `arg`.
    fn param(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.first + self.args.len() - 1)
    }

    fn and(&mut self, cond: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(cond);
    }

    fn filter(&mut self, db: &Db, f: &ItemFilter<'_>, is_files: bool) {
        if let Some(p) = f.privacy {
            let ph = self.param(Arg::Text(p.to_string()));
            self.and(&format!("privacy = {ph}"));
        }
        if is_files {
            if let Some(exts) = f.extensions {
                let mut any = Vec::new();
                for e in exts {
                    let ph = self.param(Arg::Text(format!("%.{}", like_escape(e))));
                    any.push(db.dialect().ilike("name", &ph));
                }
                if any.is_empty() {
                    self.and("1 = 0");
                } else {
                    self.and(&format!("({})", any.join(" OR ")));
                }
            }
        } else if let Some(id) = f.exclude_folder {
            let ph = self.param(Arg::Int(id));
            self.and(&format!("id <> {ph}"));
        }
    }

    /// Every word occurs in the name or the description.
    fn words(&mut self, db: &Db, words: &[String]) {
        for w in words {
            let ph = self.param(Arg::Text(like_contains(w)));
            self.and(&format!(
                "({} OR {})",
                db.dialect().ilike("name", &ph),
                db.dialect().ilike("description", &ph)
            ));
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(i),
            Arg::Text(t) => q.bind(t),
        };
    }
    q
}

/// The sort column of a listing as an SQL term: names bytewise (through the dialect), and
/// folders, which have no size or download count, by name for those orders.
fn sort_column(db: &Db, order: Order, is_files: bool) -> String {
    match order {
        Order::Created => "created_us".to_string(),
        Order::Size if is_files => "size".to_string(),
        Order::Downloads if is_files => "downloads".to_string(),
        _ => db.dialect().order_by_name("name"),
    }
}

fn order_clause(db: &Db, order: Order, descending: bool, is_files: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    let col = sort_column(db, order, is_files);
    format!("ORDER BY {col} {dir}, id {dir}")
}

/// A sort value of a listing row: the name (text) or a number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// A keyset position: the page starts just after the row with this sort value and id in the
/// listing's order (both directions), instead of skipping rows with OFFSET.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct After {
    pub value: SortValue,
    pub id: i64,
}

impl After {
    /// The position of a folder row in a listing of folders ordered by `order`.
    pub fn folder(order: Order, f: &FolderRow) -> After {
        let value = match order {
            Order::Created => SortValue::Int(f.created_us),
            _ => SortValue::Text(f.name.clone()),
        };
        After { value, id: f.id }
    }

    /// The position of a file row in a listing of files ordered by `order`.
    pub fn file(order: Order, f: &FileRow) -> After {
        let value = match order {
            Order::Name => SortValue::Text(f.name.clone()),
            Order::Created => SortValue::Int(f.created_us),
            Order::Size => SortValue::Int(f.size),
            Order::Downloads => SortValue::Int(f.downloads),
        };
        After { value, id: f.id }
    }
}

impl Conditions {
    /// Rows strictly after `a` in the order `ORDER BY col dir, id dir`: the row-value
    /// comparison `(col, id) > ($a, $b)` (`<` when descending), preceded by the plain bound
    /// `col >= $a`, which lets both databases start an index range scan there (SQLite does not
    /// take a row value with a COLLATE term as an index bound).
    fn after(&mut self, db: &Db, order: Order, descending: bool, is_files: bool, a: &After) {
        let col = sort_column(db, order, is_files);
        let v = self.param(match &a.value {
            SortValue::Int(i) => Arg::Int(*i),
            SortValue::Text(t) => Arg::Text(t.clone()),
        });
        let id = self.param(Arg::Int(a.id));
        let op = if descending { "<" } else { ">" };
        self.and(&format!("{col} {op}= {v} AND ({col}, id) {op} ({v}, {id})"));
    }
}

/// One page of a folder's live child folders, with [`ItemFilter`] conditions: from
/// `page.offset`, or just after `after` (then `page.offset` is ignored).
pub async fn list_child_folders_where(
    db: &Db,
    conn: &mut AnyConnection,
    parent_id: i64,
    page: &Page,
    filter: &ItemFilter<'_>,
    after: Option<&After>,
) -> Result<Vec<FolderRow>> {
    let mut c = Conditions::new(4);
    if page.public_only {
        c.and("privacy = 'public'");
    }
    c.filter(db, filter, false);
    if let Some(a) = after {
        c.after(db, page.order, page.descending, false, a);
    }
    let sql = format!(
        "SELECT {FOLDER_COLS} FROM folders WHERE parent_id = $1 AND trash_state = 0{} {} \
         LIMIT $2 OFFSET $3",
        c.sql,
        order_clause(db, page.order, page.descending, false)
    );
    let offset = if after.is_some() { 0 } else { page.offset };
    let q = sqlx::query(&sql)
        .bind(parent_id)
        .bind(page.limit)
        .bind(offset);
    let rows = bind_all(q, c.args).fetch_all(&mut *conn).await?;
    rows.iter().map(folder_row).collect()
}

/// One page of a folder's live files, with [`ItemFilter`] conditions: from `page.offset`, or
/// just after `after` (then `page.offset` is ignored).
pub async fn list_child_files_where(
    db: &Db,
    conn: &mut AnyConnection,
    folder_id: i64,
    page: &Page,
    filter: &ItemFilter<'_>,
    after: Option<&After>,
) -> Result<Vec<FileRow>> {
    let mut c = Conditions::new(4);
    if page.public_only {
        c.and("privacy = 'public'");
    }
    c.filter(db, filter, true);
    if let Some(a) = after {
        c.after(db, page.order, page.descending, true, a);
    }
    let sql = format!(
        "SELECT {FILE_COLS} FROM files WHERE folder_id = $1 AND trash_state = 0{} {} \
         LIMIT $2 OFFSET $3",
        c.sql,
        order_clause(db, page.order, page.descending, true)
    );
    let offset = if after.is_some() { 0 } else { page.offset };
    let q = sqlx::query(&sql)
        .bind(folder_id)
        .bind(page.limit)
        .bind(offset);
    let rows = bind_all(q, c.args).fetch_all(&mut *conn).await?;
    rows.iter().map(file_row).collect()
}

/// A search below one folder.
pub struct Search<'a> {
    /// The folder searched in (itself never a result).
    pub folder_id: i64,
    /// Words that must all occur in the name or the description (ASCII case ignored).
    pub words: &'a [String],
    /// Descend only through public folders and return only public items (anyone but the owner).
    pub public_only: bool,
    pub filter: ItemFilter<'a>,
    pub folders: bool,
    pub files: bool,
    /// At most this many folders and this many files.
    pub limit: i64,
}

/// Live folders and files below `folder_id` (any depth, reached through live folders) that
/// match, each list ordered by name bytewise.
pub async fn search_subtree(
    db: &Db,
    conn: &mut AnyConnection,
    s: &Search<'_>,
) -> Result<(Vec<FolderRow>, Vec<FileRow>)> {
    let public = if s.public_only {
        " AND f.privacy = 'public'"
    } else {
        ""
    };
    let sub = format!(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
         UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id \
         WHERE f.trash_state = 0{public})"
    );
    let mut folders = Vec::new();
    let mut files = Vec::new();
    if s.folders {
        let mut c = Conditions::new(3);
        if s.public_only {
            c.and("privacy = 'public'");
        }
        c.filter(db, &s.filter, false);
        c.words(db, s.words);
        let sql = format!(
            "{sub} SELECT {FOLDER_COLS} FROM folders WHERE id IN (SELECT id FROM sub) AND id <> $1 \
             AND trash_state = 0{} ORDER BY {}, id LIMIT $2",
            c.sql,
            db.dialect().order_by_name("name")
        );
        let q = sqlx::query(&sql).bind(s.folder_id).bind(s.limit);
        for r in bind_all(q, c.args).fetch_all(&mut *conn).await? {
            folders.push(folder_row(&r)?);
        }
    }
    if s.files {
        let mut c = Conditions::new(3);
        if s.public_only {
            c.and("privacy = 'public'");
        }
        c.filter(db, &s.filter, true);
        c.words(db, s.words);
        let sql = format!(
            "{sub} SELECT {FILE_COLS} FROM files WHERE folder_id IN (SELECT id FROM sub) \
             AND trash_state = 0{} ORDER BY {}, id LIMIT $2",
            c.sql,
            db.dialect().order_by_name("name")
        );
        let q = sqlx::query(&sql).bind(s.folder_id).bind(s.limit);
        for r in bind_all(q, c.args).fetch_all(&mut *conn).await? {
            files.push(file_row(&r)?);
        }
    }
    Ok((folders, files))
}

/// Live direct children of a folder: (folders, files); public ones only with `public_only`.
pub async fn count_children_visible(
    conn: &mut AnyConnection,
    folder_id: i64,
    public_only: bool,
) -> Result<(i64, i64)> {
    let public = if public_only {
        " AND privacy = 'public'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM folders WHERE parent_id = $1 AND trash_state = 0{public}), \
                (SELECT COUNT(*) FROM files WHERE folder_id = $1 AND trash_state = 0{public})"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?))
}

/// Recursive totals below a folder, reached through live folders: (folders, files, bytes).
/// With `public_only`, only through public folders and counting public files.
pub async fn subtree_totals_visible(
    conn: &mut AnyConnection,
    folder_id: i64,
    public_only: bool,
) -> Result<(i64, i64, i64)> {
    let (folders, files) = if public_only {
        (" AND f.privacy = 'public'", " AND privacy = 'public'")
    } else {
        ("", "")
    };
    let sql = format!(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $1 \
         UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id \
         WHERE f.trash_state = 0{folders}) SELECT \
           (SELECT COUNT(*) FROM sub WHERE id <> $1), \
           (SELECT COUNT(*) FROM files WHERE folder_id IN (SELECT id FROM sub) AND trash_state = 0{files}), \
           (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
            WHERE folder_id IN (SELECT id FROM sub) AND trash_state = 0{files})"
    );
    let row = sqlx::query(&sql)
        .bind(folder_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}
