//! End-to-end tests of the file group, and the helpers they share: files made through the
//! core, XML calls on a signed client, revisions and content references read from the core.

mod create;
mod get_info;
mod get_links;
mod missing;
mod move_copy;
mod one_time_key;
mod privacy;
mod recently_modified;
mod trash;
mod update;
mod update_file;
mod versions;
mod zip;

use hearth_client::Client;
use hearth_core::sessions::Caller;
use hearth_core::tree::{FileRow, FolderRow, OnDuplicate, Target};
use serde_json::Value;

use crate::harness::{TestServer, APP_ID, EMAIL};

pub const BOB: &str = "bob@example.com";
pub const BOB_PASSWORD: &str = "bobs password";

pub async fn user_id(s: &TestServer, email: &str) -> i64 {
    s.core.user_by_email(email).await.unwrap().unwrap().id
}

pub async fn alice(s: &TestServer) -> i64 {
    user_id(s, EMAIL).await
}

/// A second account, logged in with a v2 token.
pub async fn bob(s: &TestServer) -> (Client, i64) {
    let u = s
        .core
        .create_user(BOB, BOB_PASSWORD, "Bob", "Builder", false)
        .await
        .unwrap();
    let c = s.client();
    c.login(APP_ID, None, BOB, BOB_PASSWORD, 2).await.unwrap();
    (c, u.id)
}

/// A file with `content` in `folder` of `uid`, made through the core.
pub async fn put_in(
    s: &TestServer,
    uid: i64,
    folder: Target<'_>,
    name: &str,
    content: &[u8],
) -> FileRow {
    let blob = hearth_store::blob::put_bytes(s.core.blobs().as_ref(), content)
        .await
        .unwrap();
    let (row, _) = s
        .core
        .add_file(
            uid,
            folder,
            name,
            &blob.to_hex(),
            content.len() as i64,
            OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap();
    row
}

/// A file with `content` in the root of `uid`.
pub async fn put(s: &TestServer, uid: i64, name: &str, content: &[u8]) -> FileRow {
    put_in(s, uid, Target::Root, name, content).await
}

/// A folder below the root of `uid`.
pub async fn folder(s: &TestServer, uid: i64, name: &str) -> FolderRow {
    s.core
        .create_folder(
            &Caller::owner(uid),
            Target::Root,
            Some(name),
            OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap()
        .0
}

/// The file's row as stored now (`None` once purged).
pub async fn row(s: &TestServer, uid: i64, key: &str) -> Option<FileRow> {
    s.core
        .file_for_read(Some(&Caller::owner(uid)), Some(key), None)
        .await
        .ok()
        .map(|v| v.row)
}

/// A folder's revision as stored now (the root for `None`).
pub async fn folder_rev(s: &TestServer, uid: i64, key: Option<&str>) -> i64 {
    s.core
        .folder_for_read(Some(&Caller::owner(uid)), Target::of(key, None))
        .await
        .unwrap()
        .row
        .revision
}

pub async fn device_rev(s: &TestServer, uid: i64) -> i64 {
    s.core.device_revision(uid).await.unwrap()
}

/// The stored content's reference count.
pub async fn refs(s: &TestServer, hash: &str) -> Option<i64> {
    hearth_store::tree::content_refs(&mut *s.core.db().acquire().await.unwrap(), hash)
        .await
        .unwrap()
}

/// `new_device_revision` of a mutation's answer, checking its `device_revision` twin.
pub fn new_rev(v: &Value) -> i64 {
    let r = &v["response"];
    assert_eq!(r["device_revision"], r["new_device_revision"], "{v}");
    r["new_device_revision"]
        .as_str()
        .unwrap_or_else(|| panic!("no new_device_revision in {v}"))
        .parse()
        .unwrap()
}

/// A signed call answered in XML: (HTTP status, body). Rotates the client's key like a JSON
/// call would.
pub async fn xml(c: &Client, action: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut all = params.to_vec();
    all.push(("response_format", "xml"));
    let resp = c.call_raw(action, &all).await.unwrap();
    let body = resp.text();
    assert!(
        resp.content_type == "text/xml",
        "{action}: {}",
        resp.content_type
    );
    if body.contains("<new_key>yes</new_key>") {
        let mut session = c.session().unwrap();
        session.secret_key = session
            .secret_key
            .map(hearth_api::signature::next_secret_key);
        c.set_session(Some(session));
    }
    (resp.status, body)
}

/// The HTTP status and code of a failed JSON call.
pub async fn fails(c: &Client, action: &str, params: &[(&str, &str)]) -> (u16, u16, String) {
    match c.call(action, params).await {
        Err(hearth_client::ClientError::Api {
            code,
            message,
            http_status,
        }) => (http_status, code, message),
        other => panic!("{action}: expected an API error, got {other:?}"),
    }
}
