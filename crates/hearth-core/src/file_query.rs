//! Read-side helpers of the file calls: which files a request names (a comma list of
//! quickkeys or a path), `file/get_info` views with their owner's name, and per-key lookups
//! that report a problem per key instead of failing the whole call (`file/get_links`).

use std::collections::HashMap;

use hearth_api::errors::{codes, ApiError};

use crate::sessions::Caller;
use crate::tree::FileView;
use crate::Core;

/// A file as `file/get_info` shows it.
pub struct FileInfo {
    pub view: FileView,
    /// The owner's display name (first name when it is empty).
    pub owner_name: String,
}

/// The keys of a comma-separated list, blanks dropped, in the given order.
pub fn key_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect()
}

impl Core {
    /// The files a multi-target call names: `quick_key` (a comma list) when it has a key, else
    /// `file_path` resolved for the caller (110 when it names no file). Neither: 111.
    pub async fn file_keys(
        &self,
        caller: Option<&Caller>,
        quick_key: Option<&str>,
        file_path: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        let keys = quick_key.map(key_list).unwrap_or_default();
        if !keys.is_empty() {
            return Ok(keys.into_iter().map(String::from).collect());
        }
        match file_path.filter(|p| !p.is_empty()) {
            Some(p) => Ok(vec![
                self.file_for_read(caller, None, Some(p))
                    .await?
                    .row
                    .quickkey,
            ]),
            None => Err(ApiError::new(codes::MISSING_QUICKKEY)),
        }
    }

    /// `file/get_info`: the readable files among `keys`, in order. Keys the caller may not
    /// see (never issued, someone else's private or trashed file) are left out; none left: 110.
    pub async fn file_infos(
        &self,
        caller: Option<&Caller>,
        keys: &[String],
    ) -> Result<Vec<FileInfo>, ApiError> {
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut out = Vec::new();
        let found = self.file_lookups(caller, keys).await?;
        for view in found.into_iter().filter_map(|(_, r)| r.ok()) {
            let uid = view.row.user_id;
            if !names.contains_key(&uid) {
                let u = self.user(uid).await?;
                let name = if u.display_name.trim().is_empty() {
                    u.first_name
                } else {
                    u.display_name
                };
                names.insert(uid, name);
            }
            out.push(FileInfo {
                owner_name: names[&uid].clone(),
                view,
            });
        }
        if out.is_empty() {
            return Err(ApiError::new(codes::INVALID_QUICKKEY));
        }
        Ok(out)
    }

    /// Each key with the file it names for the caller, or the error a single-key read would
    /// answer (110 for anything the caller may not see). Only unexpected failures end the call.
    pub async fn file_lookups(
        &self,
        caller: Option<&Caller>,
        keys: &[String],
    ) -> Result<Vec<(String, Result<FileView, ApiError>)>, ApiError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            match self.file_for_read(caller, Some(k), None).await {
                Err(e) if e.code == codes::INTERNAL => return Err(e),
                r => out.push((k.clone(), r)),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_lists() {
        assert_eq!(super::key_list("a, b,,c,"), vec!["a", "b", "c"]);
        assert!(super::key_list(" , ").is_empty());
    }
}
