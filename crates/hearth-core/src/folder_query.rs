//! Read-only folder queries beyond the plain listings of `tree.rs`: filtered listings
//! (folder/get_content `filter`), a folder's siblings (folder/get_siblings) and the search of a
//! subtree (folder/search). Visibility follows the tree's privacy rule: anyone but the owner
//! sees only public, live items, and a search descends only through public folders for them.

use std::collections::HashMap;

use hearth_api::errors::{codes, ApiError};
use hearth_store::tree::{self, FileRow, FolderRow, Order, Page};
use hearth_store::tree_query::{self, ItemFilter, Search};

use crate::sessions::Caller;
use crate::tree::{FolderView, Target, DELETED};
use crate::{internal, Core};

fn db_err(e: hearth_store::StoreError) -> ApiError {
    internal(e)
}

/// Which items a listing or a search returns (`filter`).
#[derive(Clone, Debug, PartialEq, Eq)]
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
        self.child_folders(folder, l, None).await
    }

    async fn child_folders(
        &self,
        folder: &FolderView,
        l: &Listing<'_>,
        exclude: Option<i64>,
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
        let mut c = self.db().acquire().await.map_err(db_err)?;
        tree_query::list_child_files_where(
            self.db(),
            &mut c,
            folder.row.id,
            &l.page(!folder.owner),
            &l.filter.item_filter(),
        )
        .await
        .map_err(db_err)
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
                .child_folders(&parent, l, Some(out.folder.row.id))
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
        let (folders, files) = tree_query::search_subtree(self.db(), &mut c, &search)
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
