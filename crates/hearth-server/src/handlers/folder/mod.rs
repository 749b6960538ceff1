//! The folder group: thin handlers over the core's tree rules (`hearth_core::tree`) and its
//! read-only folder queries (`hearth_core::folder_query`), plus the parameter rules they share.

pub mod configure_filedrop;
pub mod copy;
pub mod create;
pub mod delete;
pub mod get_content;
pub mod get_depth;
pub mod get_info;
pub mod get_siblings;
pub mod r#move;
pub mod purge;
pub mod search;
pub mod update;

super::calls! {
    "folder/configure_filedrop" => configure_filedrop,
    "folder/copy" => copy,
    "folder/create" => create,
    "folder/delete" => delete,
    "folder/get_content" => get_content,
    "folder/get_depth" => get_depth,
    "folder/get_info" => get_info,
    "folder/get_siblings" => get_siblings,
    "folder/move" => r#move,
    "folder/purge" => purge,
    "folder/search" => search,
    "folder/update" => update,
}

use hearth_api::errors::{codes, ApiError};
use hearth_api::response::Obj;
use hearth_core::folder_query::Filter;
use hearth_core::sessions::Caller;
use hearth_core::tree::{wire_key, Order, Target};

use super::system::media::MIME_TABLE;
use super::Ctx;

/// Filetype categories a `filter` may name (spec/folder.md, folder/get_content).
const CATEGORIES: &[&str] = &[
    "image",
    "video",
    "audio",
    "document",
    "spreadsheet",
    "presentation",
    "application",
    "archive",
    "data",
    "development",
];

/// The most a `chunk_size` (or a siblings `limit`) may ask for; more is capped to this.
pub const MAX_CHUNK_SIZE: i64 = 1000;

/// The keys of a comma list, trimmed (`a, b` works), empty pieces dropped.
pub fn key_list(raw: &str) -> Vec<&str> {
    raw.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect()
}

/// A single-folder target: `key` (trimmed; `myfiles` = the root), else `path`, else the root.
pub fn target<'a>(cx: &'a Ctx<'_>, key: &str, path: &str) -> Target<'a> {
    Target::of(
        cx.params.non_empty(key).map(str::trim),
        cx.params.non_empty(path),
    )
}

/// The folders a multi-target call names: the comma list in `key`, else the caller's folder
/// at `path` (as its key). Neither: 113. More keys than `max_keys`: 129.
pub async fn sources(
    cx: &Ctx<'_>,
    caller: &Caller,
    key: &str,
    path: &str,
) -> Result<Vec<String>, ApiError> {
    if let Some(raw) = cx.params.non_empty(key) {
        let keys = key_list(raw);
        if keys.is_empty() {
            return Err(ApiError::new(codes::MISSING_FOLDERKEY));
        }
        if keys.len() as u64 > cx.core.settings().limits.max_keys {
            return Err(ApiError::new(codes::INVALID_PARAMS));
        }
        return Ok(keys.into_iter().map(str::to_string).collect());
    }
    if let Some(p) = cx.params.non_empty(path) {
        let row = cx.core.folder_for_write(caller, Target::Path(p)).await?;
        return Ok(vec![wire_key(&row)]);
    }
    Err(ApiError::new(codes::MISSING_FOLDERKEY))
}

/// `details`: `yes` adds recursive totals; `no` (default) and `shallow` do not; else 129.
pub fn details(cx: &Ctx<'_>) -> Result<bool, ApiError> {
    match cx.params.non_empty("details") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("yes") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("no") || v.eq_ignore_ascii_case("shallow") => Ok(false),
        Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
    }
}

/// `filter`: `all` (default), `public`, `private` or a filetype category; else 129.
pub fn filter(cx: &Ctx<'_>) -> Result<Filter, ApiError> {
    match cx.params.non_empty("filter") {
        None | Some("all") => Ok(Filter::All),
        Some("public") => Ok(Filter::Public),
        Some("private") => Ok(Filter::Private),
        Some(c) if CATEGORIES.contains(&c) => Ok(Filter::Extensions(
            MIME_TABLE
                .iter()
                .filter(|m| m.filetype == c)
                .map(|m| m.extension.to_string())
                .collect(),
        )),
        Some(_) => Err(ApiError::new(codes::INVALID_PARAMS)),
    }
}

/// `order_by` (name default, created, size, downloads) and `order_direction` (asc default,
/// desc); anything else is 129.
pub fn order(cx: &Ctx<'_>) -> Result<(Order, bool), ApiError> {
    let order = match cx.params.non_empty("order_by") {
        None | Some("name") => Order::Name,
        Some("created") => Order::Created,
        Some("size") => Order::Size,
        Some("downloads") => Order::Downloads,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    let descending = match cx.params.non_empty("order_direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
    };
    Ok((order, descending))
}

/// A non-negative integer parameter, `default` when absent; else 129.
pub fn number(cx: &Ctx<'_>, name: &str, default: i64) -> Result<i64, ApiError> {
    match cx.params.non_empty(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::new(codes::INVALID_PARAMS)),
    }
}

/// A page size: default `folder_content_chunk_size`, at least 1 (else 129), capped at
/// [`MAX_CHUNK_SIZE`].
pub fn page_size(cx: &Ctx<'_>, name: &str) -> Result<i64, ApiError> {
    let default = cx.core.settings().limits.folder_content_chunk_size as i64;
    match number(cx, name, default)? {
        0 => Err(ApiError::new(codes::INVALID_PARAMS)),
        n => Ok(n.min(MAX_CHUNK_SIZE)),
    }
}

/// `o`, then `asynchronous: no` (jobs come later) and the revision fields of a mutation.
pub fn mutation(o: Obj, rev: i64) -> Obj {
    super::entries::with_revision(o.str("asynchronous", "no"), Some(rev))
}

/// The owner's avatar as an absolute URL (empty when none is set).
pub fn avatar_url(cx: &Ctx<'_>, avatar: &str) -> String {
    if avatar.starts_with('/') {
        format!("{}{}", cx.base_url, avatar)
    } else {
        avatar.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::key_list;

    #[test]
    fn key_lists_tolerate_spaces_and_empty_pieces() {
        assert_eq!(key_list("abc, def ,,ghi,"), ["abc", "def", "ghi"].to_vec());
        assert!(key_list(" , ").is_empty());
    }
}
