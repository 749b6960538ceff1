//! End-to-end tests of the folder group, one file per call or theme, and the helpers they share.

mod content;
mod create;
mod depth_siblings;
mod filedrop;
mod get_info;
mod keyset;
mod move_copy;
mod privacy;
mod search;
mod trash;
mod update;

use hearth_client::{Client, ClientError};
use hearth_core::sessions::Caller;
use hearth_core::tree::{OnDuplicate, Target};
use serde_json::Value;

use crate::harness::{TestServer, APP_ID, EMAIL};

/// A second account, for privacy checks.
pub const BOB: &str = "bob@example.com";
pub const BOB_PASSWORD: &str = "bob's password";

/// A well-formed folder key that was never issued.
pub const NEVER_ISSUED: &str = "zzzzzzzzzzzz9";

/// Alice logged in twice: `c` with a signed v2 token, `v1` with a v1 token (for XML answers,
/// which the client cannot read a `new_key` from).
pub struct Alice {
    pub c: Client,
    pub v1: Client,
    pub uid: i64,
}

impl Alice {
    pub async fn login(s: &TestServer) -> Alice {
        let uid = s.core.user_by_email(EMAIL).await.unwrap().unwrap().id;
        Alice {
            c: s.login(2).await,
            v1: s.login(1).await,
            uid,
        }
    }

    /// `folder/create` over HTTP: the new key and `new_device_revision`.
    pub async fn mk(&self, name: &str, parent: Option<&str>) -> (String, i64) {
        let mut p = vec![("foldername", name)];
        if let Some(k) = parent {
            p.push(("parent_key", k));
        }
        let v = self.c.call("folder/create", &p).await.unwrap();
        let key = v["response"]["folder_key"].as_str().unwrap().to_string();
        (key, rev(&v))
    }

    /// A private file added through the core (uploads are another group): its quickkey.
    pub async fn file(
        &self,
        s: &TestServer,
        folder: Option<&str>,
        name: &str,
        body: &[u8],
    ) -> String {
        let blob = hearth_store::blob::put_bytes(s.core.blobs().as_ref(), body)
            .await
            .unwrap();
        let (f, _) = s
            .core
            .add_file(
                self.uid,
                folder.map_or(Target::Root, Target::Key),
                name,
                &blob.to_hex(),
                body.len() as i64,
                OnDuplicate::Allow,
                None,
            )
            .await
            .unwrap();
        f.quickkey
    }

    /// Makes a file public through the core.
    pub async fn publish_file(&self, s: &TestServer, quickkey: &str) {
        s.core
            .update_file(
                &Caller::owner(self.uid),
                Some(quickkey),
                hearth_core::files::FileUpdate {
                    privacy: Some("public"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }

    pub async fn device_revision(&self, s: &TestServer) -> i64 {
        s.core.device_revision(self.uid).await.unwrap()
    }

    /// A call answered in XML (v1 token): (HTTP status, body).
    pub async fn xml(&self, action: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut p = params.to_vec();
        p.push(("response_format", "xml"));
        let r = self.v1.call_raw(action, &p).await.unwrap();
        assert_eq!(r.content_type, "text/xml");
        (r.status, r.text())
    }
}

/// Bob, a second account, logged in with a v2 token.
pub async fn bob(s: &TestServer) -> Client {
    s.core
        .create_user(BOB, BOB_PASSWORD, "Bob", "Builder", false)
        .await
        .unwrap();
    let c = s.client();
    c.login(APP_ID, None, BOB, BOB_PASSWORD, 2).await.unwrap();
    c
}

/// `new_device_revision` of a mutation's answer (checked equal to `device_revision`).
pub fn rev(v: &Value) -> i64 {
    let r = &v["response"];
    assert_eq!(r["new_device_revision"], r["device_revision"], "{v}");
    r["new_device_revision"]
        .as_str()
        .unwrap_or_else(|| panic!("no new_device_revision: {v}"))
        .parse()
        .unwrap()
}

/// (code, message, HTTP status) of an error answer.
pub fn err(r: Result<Value, ClientError>) -> (u16, String, u16) {
    match r {
        Err(ClientError::Api {
            code,
            message,
            http_status,
        }) => (code, message, http_status),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The string at `path` below `response`.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = &v["response"];
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("no string at {path:?} in {v}"))
}

/// The `field` of every item of a list.
pub fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| e[field].as_str().unwrap().to_string())
        .collect()
}

/// The revision of a folder as get_info reports it.
pub async fn folder_revision(c: &Client, key: &str) -> i64 {
    let v = c
        .call("folder/get_info", &[("folder_key", key)])
        .await
        .unwrap();
    at(&v, &["folder_info", "revision"]).parse().unwrap()
}
