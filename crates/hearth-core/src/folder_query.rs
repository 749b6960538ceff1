//! Read-only folder queries beyond the plain listings of `tree.rs`: filtered listings
//! (folder/get_content `filter`), a folder's siblings (folder/get_siblings) and the search of a
//! subtree (folder/search). Visibility follows the tree's privacy rule: anyone but the owner
//! sees only public, live items, and a search descends only through public folders for them.
//!
//! folder/get_content pages with a keyset cursor when it can: after a chunk it remembers the
//! chunk's last row (see [`cursors`]), and the next chunk of the same listing continues just
//! after that row instead of skipping rows with OFFSET — as long as the folder's revision is
//! unchanged. A chunk without a remembered cursor (a cold jump) uses OFFSET.

use std::collections::HashMap;
use std::sync::Arc;

use hearth_api::errors::{codes, ApiError};
use hearth_store::tree::{self, FileRow, FolderRow, Order, Page};
use hearth_store::tree_query::{self, After, ItemFilter, Search};

use crate::sessions::Caller;
use crate::tree::{FolderView, Target, DELETED};
use crate::{internal, Core};

fn db_err(e: hearth_store::StoreError) -> ApiError {
    internal(e)
}

/// Which items a listing or a search returns (`filter`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    All,
    Public,
    Private,
    /// Files whose extension is one of these (a filetype category); folders are not affected
    /// in listings and never match in a search.
    Extensions(Vec<String>),
}

impl Filter {
    fn item_filter(&self) -> ItemFilter<'_> {
        match self {
            Filter::All => ItemFilter::default(),
            Filter::Public => ItemFilter {
                privacy: Some("public"),
                ..Default::default()
            },
            Filter::Private => ItemFilter {
                privacy: Some("private"),
                ..Default::default()
            },
            Filter::Extensions(e) => ItemFilter {
                extensions: Some(e.as_slice()),
                ..Default::default()
            },
        }
    }
}

/// A page of a listing.
#[derive(Clone, Debug)]
pub struct Listing<'a> {
    pub order: Order,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    pub filter: &'a Filter,
}

impl Listing<'_> {
    fn page(&self, public_only: bool) -> Page {
        Page {
            order: self.order,
            descending: self.descending,
            offset: self.offset,
            limit: self.limit,
            public_only,
        }
    }
}

/// The items beside a folder in its parent (none for the root or a folder at the top of the
/// trash, and none when the caller may not see the parent).
pub struct Siblings {
    pub folder: FolderView,
    /// The parent, when the caller may see it.
    pub parent: Option<FolderView>,
    pub folders: Vec<FolderRow>,
    pub files: Vec<FileRow>,
}

/// A search result.
pub enum Found {
    Folder(FolderRow),
    File(FileRow),
}

pub struct SearchHit {
    pub item: Found,
    /// The folder holding the item.
    pub parent: FolderRow,
    /// 3: the name is the search text; 2: it starts with it; 1: it contains it; 0: the words
    /// occur (in the name or the description) but not the whole text in the name.
    pub relevancy: u32,
}

/// At most this many words of a search text are used.
const MAX_WORDS: usize = 10;

impl Core {
    /// Live direct children (folders, files) as a viewer sees them: public ones only for
    /// anyone but the owner.
    pub async fn visible_counts(
        &self,
        owner: bool,
        folder_id: i64,
    ) -> Result<(i64, i64), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree_query::count_children_visible(&mut c, folder_id, !owner)
            .await
            .map_err(db_err)
    }

    /// Recursive live totals (folders, files, bytes) as a viewer sees them: for anyone but the
    /// owner, what is reachable through public folders and public itself.
    pub async fn visible_totals(
        &self,
        owner: bool,
        folder_id: i64,
    ) -> Result<(i64, i64, i64), ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree_query::subtree_totals_visible(&mut c, folder_id, !owner)
            .await
            .map_err(db_err)
    }

    /// One page of a folder's live child folders, filtered (privacy only: a filetype category
    /// does not restrict folders).
    pub async fn list_folders_filtered(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
    ) -> Result<Vec<FolderRow>, ApiError> {
        self.child_folders(folder, l, None, None).await
    }

    /// Chunk `chunk` (1-based, `chunk_size` items, `l.offset` = `(chunk - 1) * chunk_size`) of
    /// a folder's live child folders, and up to `l.limit - chunk_size` rows beyond it: through
    /// the keyset cursor left by chunk `chunk - 1` when one is known, else from `l.offset`.
    pub async fn list_folders_chunk(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        chunk: i64,
        chunk_size: i64,
    ) -> Result<Vec<FolderRow>, ApiError> {
        let key = self.cursor_key(folder, l, false, chunk, chunk_size);
        let after = cursors::get(&self.inner, &key, folder.row.revision);
        let rows = self.child_folders(folder, l, None, after.as_ref()).await?;
        if let Some(last) = usize::try_from(chunk_size)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| rows.get(i))
        {
            let next = CursorKey {
                chunk: chunk + 1,
                ..key
            };
            cursors::put(
                &self.inner,
                next,
                folder.row.revision,
                After::folder(l.order, last),
            );
        }
        Ok(rows)
    }

    async fn child_folders(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        exclude: Option<i64>,
        after: Option<&After>,
    ) -> Result<Vec<FolderRow>, ApiError> {
        let mut f = l.filter.item_filter();
        f.extensions = None;
        f.exclude_folder = exclude;
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree_query::list_child_folders_where(
            self.db(),
            &mut c,
            folder.row.id,
            &l.page(!folder.owner),
            &f,
            after,
        )
        .await
        .map_err(db_err)
    }

    /// One page of a folder's live files, filtered.
    pub async fn list_files_filtered(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
    ) -> Result<Vec<FileRow>, ApiError> {
        self.child_files(folder, l, None).await
    }

    /// Like [`Core::list_folders_chunk`], for the folder's live files.
    pub async fn list_files_chunk(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        chunk: i64,
        chunk_size: i64,
    ) -> Result<Vec<FileRow>, ApiError> {
        let key = self.cursor_key(folder, l, true, chunk, chunk_size);
        let after = cursors::get(&self.inner, &key, folder.row.revision);
        let rows = self.child_files(folder, l, after.as_ref()).await?;
        if let Some(last) = usize::try_from(chunk_size)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| rows.get(i))
        {
            let next = CursorKey {
                chunk: chunk + 1,
                ..key
            };
            cursors::put(
                &self.inner,
                next,
                folder.row.revision,
                After::file(l.order, last),
            );
        }
        Ok(rows)
    }

    async fn child_files(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        after: Option<&After>,
    ) -> Result<Vec<FileRow>, ApiError> {
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree_query::list_child_files_where(
            self.db(),
            &mut c,
            folder.row.id,
            &l.page(!folder.owner),
            &l.filter.item_filter(),
            after,
        )
        .await
        .map_err(db_err)
    }

    fn cursor_key(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        files: bool,
        chunk: i64,
        chunk_size: i64,
    ) -> CursorKey {
        CursorKey {
            core: Arc::as_ptr(&self.inner) as usize,
            folder_id: folder.row.id,
            files,
            order: match l.order {
                Order::Name => 0,
                Order::Created => 1,
                Order::Size => 2,
                Order::Downloads => 3,
            },
            descending: l.descending,
            filter: l.filter.clone(),
            public_only: !folder.owner,
            chunk_size,
            chunk,
        }
    }

    /// `folder/get_siblings`: the other live folders and the files of the folder's parent, as
    /// the caller may see them; the same page applies to each list.
    pub async fn folder_siblings(
        &self,
        caller: &Caller,
        target: Target<'_>,
        l: &Listing<'_>,
        folders: bool,
        files: bool,
    ) -> Result<Siblings, ApiError> {
        let folder = self.folder_for_read(Some(caller), target).await?;
        let mut out = Siblings {
            parent: None,
            folders: Vec::new(),
            files: Vec::new(),
            folder,
        };
        let Some(pid) = out.folder.row.parent_id else {
            return Ok(out);
        };
        if out.folder.row.trash_state == DELETED {
            return Ok(out);
        }
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let Some(parent) = tree::folder_by_id(&mut c, pid).await.map_err(db_err)? else {
            return Ok(out);
        };
        drop(c);
        let parent = if out.folder.owner {
            FolderView {
                row: parent,
                owner: true,
            }
        } else {
            // Someone else's folder: its parent only if that is public and live, else nothing.
            match self
                .folder_for_read(Some(caller), Target::Key(&parent.folderkey))
                .await
            {
                Ok(v) => v,
                Err(e) if e.code == codes::INVALID_FOLDERKEY => return Ok(out),
                Err(e) => return Err(e),
            }
        };
        if folders {
            out.folders = self
                .child_folders(&parent, l, Some(out.folder.row.id), None)
                .await?;
        }
        if files {
            out.files = self.list_files_filtered(&parent, l).await?;
        }
        out.parent = Some(parent);
        Ok(out)
    }

    /// `folder/search`: live items below the folder (the caller's whole tree with
    /// `search_all`) whose name or description contains every word of `text` (ASCII case
    /// ignored). Best matches first, then folders before files, then by name; at most
    /// `limit_search_results` results.
    pub async fn search_folder(
        &self,
        caller: Option<&Caller>,
        target: Target<'_>,
        search_all: bool,
        text: &str,
        filter: &Filter,
    ) -> Result<(FolderView, Vec<SearchHit>), ApiError> {
        let words: Vec<String> = text
            .split_whitespace()
            .take(MAX_WORDS)
            .map(str::to_string)
            .collect();
        if words.is_empty() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        let target = if search_all { Target::Root } else { target };
        let folder = self.folder_for_read(caller, target).await?;
        let limit = self.settings().limits.limit_search_results as i64;
        let category = matches!(filter, Filter::Extensions(_));
        let search = Search {
            folder_id: folder.row.id,
            words: &words,
            public_only: !folder.owner,
            filter: filter.item_filter(),
            folders: !category,
            files: true,
            limit,
        };
        let mut c = self.db().acquire().await.map_err(db_err)?;
        let (folders, files) = self
            .db()
            .long_query(tree_query::search_subtree(self.db(), &mut c, &search))
            .await
            .map_err(db_err)?;
        let needle = text.trim().to_ascii_lowercase();
        let relevancy = |name: &str| {
            let name = name.to_ascii_lowercase();
            if name == needle {
                3
            } else if name.starts_with(&needle) {
                2
            } else if name.contains(&needle) {
                1
            } else {
                0
            }
        };
        let mut parents: HashMap<i64, FolderRow> = HashMap::new();
        let mut hits = Vec::new();
        for f in folders {
            let pid = f.parent_id.unwrap_or(folder.row.id);
            let parent = self.cached_folder(&mut c, &mut parents, pid).await?;
            hits.push(SearchHit {
                relevancy: relevancy(&f.name),
                item: Found::Folder(f),
                parent,
            });
        }
        for f in files {
            let parent = self
                .cached_folder(&mut c, &mut parents, f.folder_id)
                .await?;
            hits.push(SearchHit {
                relevancy: relevancy(&f.name),
                item: Found::File(f),
                parent,
            });
        }
        let key = |h: &SearchHit| match &h.item {
            Found::Folder(f) => (0u8, f.name.clone()),
            Found::File(f) => (1u8, f.name.clone()),
        };
        hits.sort_by(|a, b| {
            b.relevancy
                .cmp(&a.relevancy)
                .then_with(|| key(a).cmp(&key(b)))
        });
        hits.truncate(limit.max(0) as usize);
        Ok((folder, hits))
    }

    async fn cached_folder(
        &self,
        c: &mut hearth_store::Conn,
        cache: &mut HashMap<i64, FolderRow>,
        id: i64,
    ) -> Result<FolderRow, ApiError> {
        if let Some(f) = cache.get(&id) {
            return Ok(f.clone());
        }
        let f = tree::folder_by_id(c, id)
            .await
            .map_err(db_err)?
            .ok_or_else(|| internal(format!("folder {id} vanished during a search")))?;
        cache.insert(id, f.clone());
        Ok(f)
    }
}

/// What a remembered cursor belongs to: one listing of one folder (content type, order,
/// direction, filter, the caller's visibility, chunk size) and the chunk it starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CursorKey {
    /// The core's address (several cores live in one test process); the entry keeps the core's
    /// allocation pinned, so the address cannot be reused while the entry exists.
    core: usize,
    folder_id: i64,
    files: bool,
    order: u8,
    descending: bool,
    filter: Filter,
    public_only: bool,
    chunk_size: i64,
    chunk: i64,
}

/// The keyset cursors of folder/get_content, in memory: for (listing, chunk n) the last row of
/// chunk n - 1, valid while the folder's revision is the one seen when it was stored (every
/// insert, rename, move or removal of a direct child stamps the folder). Bounded: past
/// [`cursors::CAPACITY`] entries the least recently used eighth is dropped. Lost on restart,
/// which only makes the next chunk a cold jump.
///
/// Process-wide rather than a field of [`Core`], keyed by the core: `Core`'s fields live in
/// lib.rs, outside this module.
mod cursors {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, Weak};

    use hearth_store::tree_query::After;

    use super::CursorKey;
    use crate::Inner;

    pub const CAPACITY: usize = 10_000;

    struct Entry {
        /// Pins the core's allocation (and so its address in the key).
        _core: Weak<Inner>,
        revision: i64,
        after: After,
        used: u64,
    }

    #[derive(Default)]
    struct Table {
        map: HashMap<CursorKey, Entry>,
        tick: u64,
    }

    static TABLE: Mutex<Option<Table>> = Mutex::new(None);

    fn with<R>(f: impl FnOnce(&mut Table) -> R) -> R {
        let mut g = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        f(g.get_or_insert_with(Table::default))
    }

    /// The cursor for `key` if it was stored at `revision`; a stale one is dropped.
    pub fn get(core: &Arc<Inner>, key: &CursorKey, revision: i64) -> Option<After> {
        debug_assert_eq!(key.core, Arc::as_ptr(core) as usize);
        with(|t| {
            t.tick += 1;
            let tick = t.tick;
            match t.map.get_mut(key) {
                Some(e) if e.revision == revision => {
                    e.used = tick;
                    Some(e.after.clone())
                }
                Some(_) => {
                    t.map.remove(key);
                    None
                }
                None => None,
            }
        })
    }

    pub fn put(core: &Arc<Inner>, key: CursorKey, revision: i64, after: After) {
        with(|t| {
            t.tick += 1;
            let used = t.tick;
            t.map.insert(
                key,
                Entry {
                    _core: Arc::downgrade(core),
                    revision,
                    after,
                    used,
                },
            );
            if t.map.len() > CAPACITY {
                let mut ticks: Vec<u64> = t.map.values().map(|e| e.used).collect();
                ticks.sort_unstable();
                let cut = ticks[CAPACITY / 8];
                t.map.retain(|_, e| e.used > cut);
            }
        })
    }
}
