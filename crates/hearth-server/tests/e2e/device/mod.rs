//! End-to-end tests of the device group, plus helpers that build a tree through the core (the
//! folder/* and file/* calls are tested in their own groups).

mod empty_trash;
mod get_changes;
mod get_status;
mod get_trash;

use hearth_core::sessions::Caller;
use hearth_core::tree::{OnDuplicate, Target};
use serde_json::Value;

use crate::harness::TestServer;

/// An account whose tree a test builds through the core.
pub struct Owner {
    pub uid: i64,
    pub caller: Caller,
}

impl Owner {
    pub async fn of(s: &TestServer, email: &str) -> Owner {
        let uid = s.core.user_by_email(email).await.unwrap().unwrap().id;
        Owner {
            uid,
            caller: Caller::owner(uid),
        }
    }

    /// A new (private) folder in `parent` (None = the root): its key and the new revision.
    pub async fn folder(&self, s: &TestServer, parent: Option<&str>, name: &str) -> (String, i64) {
        let target = parent.map_or(Target::Root, Target::Key);
        let (f, rev) = s
            .core
            .create_folder(&self.caller, target, Some(name), OnDuplicate::Allow, None)
            .await
            .unwrap();
        (f.folderkey, rev.unwrap())
    }

    /// A new (private) file in `parent` (None = the root): its key and the new revision.
    pub async fn file(
        &self,
        s: &TestServer,
        parent: Option<&str>,
        name: &str,
        body: &[u8],
    ) -> (String, i64) {
        let blob = hearth_store::blob::put_bytes(s.core.blobs().as_ref(), body)
            .await
            .unwrap();
        let target = parent.map_or(Target::Root, Target::Key);
        let (f, rev) = s
            .core
            .add_file(
                self.uid,
                target,
                name,
                &blob.to_hex(),
                body.len() as i64,
                OnDuplicate::Allow,
                None,
            )
            .await
            .unwrap();
        (f.quickkey, rev.unwrap())
    }

    pub async fn revision(&self, s: &TestServer) -> i64 {
        s.core.device_revision(self.uid).await.unwrap()
    }
}

/// (key, revision, parent_folderkey) of every entry of a get_changes list, in wire order;
/// fails when an entry lacks one of the three fields fuse requires.
pub fn entries(list: &Value, key: &str) -> Vec<(String, i64, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| {
            (
                e[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("no {key}: {e}"))
                    .to_string(),
                e["revision"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no revision: {e}"))
                    .parse()
                    .unwrap(),
                e["parent_folderkey"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no parent_folderkey: {e}"))
                    .to_string(),
            )
        })
        .collect()
}

/// Shorthand for an expected entry.
pub fn e(key: &str, rev: i64, parent: &str) -> (String, i64, String) {
    (key.to_string(), rev, parent.to_string())
}
