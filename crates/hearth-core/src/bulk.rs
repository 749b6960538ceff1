//! Bulk download (`file/zip`): which files and folders a zip holds, under which names, and the
//! limits it must respect. The bytes are streamed elsewhere (hearth-server `zip_stream`); this
//! module only plans: it resolves the keys, walks the folder subtrees, and names every entry.
//!
//! Rules (docs/api-quirks.md, "file/zip"):
//! - a key the caller may not see answers like a key never issued (110 / 112); the caller's
//!   own trashed items are left out, as is everything trashed below a folder;
//! - all items belong to one owner (147); the owner gets every live item, anyone else the public
//!   ones reached through public folders, and no password-protected file (186);
//! - more than `max_keys` keys: 129; more than `max_objects` files (or folders): 154; a file
//!   above `zip_max_filesize`: 150; no file at all: 151; a total above
//!   `zip_max_total_filesize`: 153 unless a signed-in caller sends `confirm_download=yes`;
//! - entry names are sanitized (no `/`, `\`, control characters, `.`/`..` components or drive
//!   prefixes) and made unique per directory, ignoring case, as `name (1).ext`.

use std::collections::{HashMap, HashSet, VecDeque};

use hearth_api::errors::{codes, ApiError};
use hearth_store::tree::{self, FileRow, FolderRow, Order, Page};

use crate::sessions::Caller;
use crate::tree::{numbered, Target, LIVE};
use crate::{internal, Core};

/// One key of a `file/zip` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZipKey<'a> {
    File(&'a str),
    Folder(&'a str),
}

/// One entry of the archive, in archive order.
#[derive(Clone, Debug)]
pub struct ZipEntry {
    /// The path inside the archive: sanitized names joined by `/`; a folder's ends with `/`.
    pub path: String,
    /// The file whose current content the entry holds; `None` for a folder.
    pub file: Option<FileRow>,
    /// Modification time (Unix microseconds).
    pub mtime_us: i64,
}

/// What a zip will hold.
#[derive(Clone, Debug)]
pub struct ZipPlan {
    /// The archive's suggested file name (`<item>.zip` for one item, else `download.zip`).
    pub archive_name: String,
    pub entries: Vec<ZipEntry>,
    /// Number of file entries and the sum of their sizes.
    pub files: u64,
    pub bytes: u64,
}

/// Children are listed in pages of this many rows.
const PAGE: i64 = 1000;

/// The keys of a list parameter: separated by commas and/or white space (the legacy form put
/// a space after each comma), blanks dropped.
pub fn zip_key_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|k| !k.is_empty())
}

/// A name as an archive path component: `/`, `\` and control characters become `_`; `.`,
/// `..` and empty names become underscores; a leading drive prefix (`C:`) loses its colon.
pub fn entry_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '.') {
        out = "_".repeat(out.len().max(1));
    }
    let mut chars = out.chars();
    if let (Some(d), Some(':')) = (chars.next(), chars.next()) {
        if d.is_ascii_alphabetic() {
            out.replace_range(1..2, "_");
        }
    }
    out
}

/// Unique names for the items of one directory (`(name, is_file)`, already sanitized), in
/// order: the first of equal names (ignoring case) keeps it, later ones become `name (n)`
/// with the smallest `n` that no item of the directory uses.
pub fn unique_names(items: &[(String, bool)]) -> Vec<String> {
    let mut taken: HashSet<String> = items.iter().map(|(n, _)| n.to_lowercase()).collect();
    let mut kept: HashSet<String> = HashSet::new();
    // The next number to try for a name (so many copies of one name stay linear).
    let mut next: HashMap<(String, bool), u32> = HashMap::new();
    items
        .iter()
        .map(|(name, is_file)| {
            let lower = name.to_lowercase();
            if kept.insert(lower.clone()) {
                return name.clone();
            }
            let n = next.entry((lower, *is_file)).or_insert(1);
            loop {
                let candidate = numbered(name, *n, *is_file);
                *n += 1;
                if taken.insert(candidate.to_lowercase()) {
                    kept.insert(candidate.to_lowercase());
                    return candidate;
                }
            }
        })
        .collect()
}

/// A limit in bytes as the whole megabytes the 150/153 messages show.
fn megabytes(bytes: u64) -> u64 {
    (bytes + 524_288) / 1_048_576
}

/// An item of a directory being named.
enum Item {
    Folder(FolderRow),
    File(FileRow),
}

impl Item {
    fn user_id(&self) -> i64 {
        match self {
            Item::Folder(f) => f.user_id,
            Item::File(f) => f.user_id,
        }
    }
}

/// The walk's running state and limits.
struct Walk<'a> {
    core: &'a Core,
    /// The caller owns the items: everything live; else public items only.
    owner: bool,
    entries: Vec<ZipEntry>,
    files: u64,
    folders: u64,
    bytes: u64,
}

impl Walk<'_> {
    /// Names the items of one directory (`prefix` ends with `/`, or is empty at the top) and
    /// queues the folders among them.
    fn add(
        &mut self,
        prefix: &str,
        items: Vec<Item>,
        queue: &mut VecDeque<(String, FolderRow)>,
    ) -> Result<(), ApiError> {
        let limits = &self.core.settings().limits;
        let names: Vec<(String, bool)> = items
            .iter()
            .map(|i| match i {
                Item::Folder(f) => (entry_name(&f.name), false),
                Item::File(f) => (entry_name(&f.name), true),
            })
            .collect();
        for (item, name) in items.into_iter().zip(unique_names(&names)) {
            match item {
                Item::File(f) => {
                    if !self.owner && !f.password_hash.is_empty() {
                        return Err(ApiError::new(codes::ZIP_PASSWORD_BULK));
                    }
                    let size = u64::try_from(f.size).unwrap_or(0);
                    if size > limits.zip_max_filesize {
                        return Err(ApiError::with_limit(
                            codes::ZIP_FILE_TOO_BIG,
                            megabytes(limits.zip_max_filesize),
                        ));
                    }
                    self.files += 1;
                    self.bytes += size;
                    if self.files > limits.max_objects {
                        return Err(ApiError::with_limit(
                            codes::ZIP_NUM_FILES_EXCEEDED,
                            limits.max_objects,
                        ));
                    }
                    self.entries.push(ZipEntry {
                        path: format!("{prefix}{name}"),
                        mtime_us: f.mtime_us,
                        file: Some(f),
                    });
                }
                Item::Folder(f) => {
                    self.folders += 1;
                    if self.folders > limits.max_objects {
                        return Err(ApiError::with_limit(
                            codes::ZIP_NUM_FILES_EXCEEDED,
                            limits.max_objects,
                        ));
                    }
                    let path = format!("{prefix}{name}/");
                    self.entries.push(ZipEntry {
                        path: path.clone(),
                        file: None,
                        mtime_us: f.mtime_us,
                    });
                    queue.push_back((path, f));
                }
            }
        }
        Ok(())
    }

    /// A folder's live children as this walk may see them: folders, then files, by name.
    async fn children(&self, folder_id: i64) -> Result<Vec<Item>, ApiError> {
        let mut c = self.core.db().acquire().await.map_err(internal)?;
        let mut out = Vec::new();
        let mut page = Page {
            order: Order::Name,
            descending: false,
            offset: 0,
            limit: PAGE,
            public_only: !self.owner,
        };
        loop {
            let rows = tree::list_child_folders(self.core.db(), &mut c, folder_id, &page)
                .await
                .map_err(internal)?;
            let n = rows.len() as i64;
            out.extend(rows.into_iter().map(Item::Folder));
            if n < PAGE {
                break;
            }
            page.offset += PAGE;
        }
        page.offset = 0;
        loop {
            let rows = tree::list_child_files(self.core.db(), &mut c, folder_id, &page)
                .await
                .map_err(internal)?;
            let n = rows.len() as i64;
            out.extend(rows.into_iter().map(Item::File));
            if n < PAGE {
                break;
            }
            page.offset += PAGE;
        }
        Ok(out)
    }
}

impl Core {
    /// `file/zip`: the archive `keys` name, as `caller` (or an anonymous caller) may get it.
    /// `confirmed`: `confirm_download=yes` (lifts the total-size limit for a signed-in caller).
    pub async fn plan_zip(
        &self,
        caller: Option<&Caller>,
        keys: &[ZipKey<'_>],
        confirmed: bool,
    ) -> Result<ZipPlan, ApiError> {
        let limits = &self.settings().limits;
        if keys.is_empty() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        if keys.len() as u64 > limits.max_keys {
            return Err(ApiError::new(codes::INVALID_PARAMS));
        }
        // Every key first (a key the caller may not see fails the call), in the given order.
        let mut seen = HashSet::new();
        let mut named: Vec<Item> = Vec::new();
        for key in keys {
            if !seen.insert(*key) {
                continue;
            }
            match *key {
                ZipKey::File(k) => {
                    let v = self.file_for_read(caller, Some(k), None).await?;
                    if v.row.trash_state == LIVE {
                        named.push(Item::File(v.row));
                    }
                }
                ZipKey::Folder(k) => {
                    let v = self
                        .folder_for_read(caller, Target::of(Some(k), None))
                        .await?;
                    if v.row.trash_state == LIVE {
                        named.push(Item::Folder(v.row));
                    }
                }
            }
        }
        let Some(owner_id) = named.first().map(Item::user_id) else {
            return Err(ApiError::new(codes::ZIP_NO_FILES_SELECTED));
        };
        if named.iter().any(|i| i.user_id() != owner_id) {
            return Err(ApiError::new(codes::ZIP_MULTIPLE_OWNERS));
        }
        let archive_name = match named.as_slice() {
            [Item::File(f)] => format!("{}.zip", entry_name(&f.name)),
            [Item::Folder(f)] => format!("{}.zip", entry_name(&f.name)),
            _ => "download.zip".to_string(),
        };

        let mut walk = Walk {
            core: self,
            owner: caller.map(|c| c.user_id) == Some(owner_id),
            entries: Vec::new(),
            files: 0,
            folders: 0,
            bytes: 0,
        };
        // The root's content goes to the top of the archive, beside the other named items.
        let mut top = Vec::new();
        for item in named {
            match item {
                Item::Folder(f) if f.is_root() => top.extend(walk.children(f.id).await?),
                other => top.push(other),
            }
        }
        let mut queue = VecDeque::new();
        walk.add("", top, &mut queue)?;
        while let Some((prefix, folder)) = queue.pop_front() {
            let children = walk.children(folder.id).await?;
            walk.add(&prefix, children, &mut queue)?;
        }

        if walk.files == 0 {
            return Err(ApiError::new(codes::ZIP_NO_FILES_SELECTED));
        }
        if walk.bytes > limits.zip_max_total_filesize {
            if !confirmed {
                return Err(ApiError::with_limit(
                    codes::ZIP_TOTAL_SIZE_TOO_BIG,
                    megabytes(limits.zip_max_total_filesize),
                ));
            }
            if caller.is_none() {
                return Err(ApiError::new(codes::MISSING_TOKEN));
            }
        }
        Ok(ZipPlan {
            archive_name,
            entries: walk.entries,
            files: walk.files,
            bytes: walk.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_or_hide() {
        assert_eq!(entry_name("a/b\\c.txt"), "a_b_c.txt");
        assert_eq!(entry_name(".."), "__");
        assert_eq!(entry_name("."), "_");
        assert_eq!(entry_name(""), "_");
        assert_eq!(entry_name("..."), "___");
        assert_eq!(entry_name("..hidden"), "..hidden");
        assert_eq!(entry_name("a\u{0}b\u{7f}c\u{85}d\te"), "a_b_c_d_e");
        assert_eq!(entry_name("C:evil"), "C_evil");
        assert_eq!(entry_name("Ünïcödé 名前.txt"), "Ünïcödé 名前.txt");
        assert_eq!(entry_name("1:2"), "1:2");
    }

    #[test]
    fn duplicates_are_numbered_past_existing_names() {
        let items = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(n, f)| (n.to_string(), *f)).collect()
        };
        assert_eq!(
            unique_names(&items(&[
                ("a.txt", true),
                ("A.TXT", true),
                ("a (1).txt", true),
                ("a.txt", true),
                ("a.txt", false),
            ])),
            ["a.txt", "A (2).TXT", "a (1).txt", "a (3).txt", "a.txt (1)"]
        );
    }

    #[test]
    fn key_lists_take_commas_and_spaces() {
        let keys: Vec<&str> = zip_key_list("cg66p0rrzs9grir, t358dkjt3us9532,,f85 x").collect();
        assert_eq!(keys, ["cg66p0rrzs9grir", "t358dkjt3us9532", "f85", "x"]);
    }

    #[test]
    fn megabytes_of_the_captured_limits() {
        assert_eq!(megabytes(314_572_800), 300);
        assert_eq!(megabytes(2_147_483_647), 2048);
    }
}
