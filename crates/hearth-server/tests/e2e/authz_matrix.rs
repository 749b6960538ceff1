//! The authorization matrix. Every row of the calls table that has key parameters is walked: a
//! second user (bob) sends each key parameter filled with one of alice's private (or trashed)
//! keys, and again with a never-issued key of the same length. The two answers must be the same
//! (code, message, HTTP status) — a key reveals nothing — and alice's data must not change.
//! Calls without a handler yet must answer 253.

use hearth_api::calls::{CallSpec, KeyKind, CALLS};
use hearth_api::keys::{FolderKey, QuickKey, UploadKey};
use hearth_client::Client;
use serde_json::Value;

use crate::device::Owner;
use crate::harness::{TestServer, APP_ID, EMAIL};

const BOB: &str = "bob@example.com";
const BOB_PASSWORD: &str = "bob password";

/// Rows of the calls table with key parameters (the matrix's size; update with the table).
const ROWS_WITH_KEYS: usize = 39;

/// Parameters that make a request complete apart from its keys, so the keys are what is judged.
fn extras(call: &str) -> &'static [(&'static str, &'static str)] {
    const HASH: &str = "4a07a6e2a5a3e6b1c6c0f5c3e1a5b0d3c9e3b2a1f0e9d8c7b6a5f4e3d2c1b0a9";
    match call {
        "folder/create" => &[("foldername", "probe")],
        "file/create" => &[("filename", "probe.txt")],
        "folder/get_content" => &[("content_type", "files")],
        "folder/search" => &[("search_text", "probe")],
        "folder/update" | "file/update" => &[("description", "probe")],
        "folder/configure_filedrop" => &[("action", "enable")],
        "file/get_links" => &[("link_type", "direct_download")],
        "device/get_patch" => &[("source_revision", "1"), ("target_revision", "2")],
        "device/get_updates" => &[("revision", "1")],
        "upload/check" | "upload/instant" => {
            &[("filename", "probe.txt"), ("hash", HASH), ("size", "5")]
        }
        // A target over patch_max_target: refused (-700) only after the file is checked, so the
        // answer for bob's own file (the other alias) carries no random upload key.
        "upload/patch" => &[
            ("source_hash", HASH),
            ("target_hash", HASH),
            ("target_size", "1099511627776"),
        ],
        "upload/add_web_upload" => &[("url", "http://127.0.0.1:9/x"), ("filename", "x.txt")],
        _ => &[],
    }
}

fn fresh_key(kind: KeyKind) -> String {
    match kind {
        KeyKind::QuickKey => QuickKey::generate().into_string(),
        KeyKind::FolderKey => FolderKey::generate().into_string(),
        KeyKind::UploadKey => UploadKey::generate().into_string(),
    }
}

/// Keys of one kind: alice's (private, trashed) and bob's own.
struct KeySet {
    alice_folders: Vec<String>,
    alice_files: Vec<String>,
    bob_folder: String,
    bob_file: String,
    /// Upload keys are not owned by anyone here: bob's is a random one, fixed for the run.
    bob_upload: String,
}

impl KeySet {
    /// Alice's keys of `kind`; upload keys are never alice's to name, so a random one.
    fn alice(&self, kind: KeyKind) -> Vec<String> {
        match kind {
            KeyKind::QuickKey => self.alice_files.clone(),
            KeyKind::FolderKey => self.alice_folders.clone(),
            KeyKind::UploadKey => vec![fresh_key(kind)],
        }
    }

    fn bob(&self, kind: KeyKind) -> String {
        match kind {
            KeyKind::QuickKey => self.bob_file.clone(),
            KeyKind::FolderKey => self.bob_folder.clone(),
            KeyKind::UploadKey => self.bob_upload.clone(),
        }
    }
}

/// An answer as the matrix compares it: HTTP status, `error`, `message`, and the whole
/// response with the probed key written as `KEY` (so a success that shows more for alice's key
/// than for a never-issued one is caught too).
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    error: Value,
    message: Value,
    body: String,
}

async fn ask(c: &Client, call: &str, params: &[(String, String)], probed: &[&str]) -> Answer {
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = c.call_raw(call, &p).await.unwrap();
    let mut v = r.json().unwrap();
    let response = v["response"].as_object_mut().unwrap();
    response.remove("new_key");
    let mut body = v.to_string();
    for (i, key) in probed.iter().enumerate() {
        body = body.replace(key, &format!("KEY{i}"));
    }
    Answer {
        status: r.status,
        error: v["response"]["error"].clone(),
        message: v["response"]["message"].clone(),
        body,
    }
}

/// What alice can see of her own data: her revision, her change log, her root's content.
async fn snapshot(alice: &Client, implemented: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    let v = alice.call("device/get_status", &[]).await.unwrap();
    out.push(v["response"]["device_revision"].clone());
    let v = alice
        .call("device/get_changes", &[("revision", "0")])
        .await
        .unwrap();
    out.push(v["response"]["updated"].clone());
    out.push(v["response"]["deleted"].clone());
    if implemented.contains(&"folder/get_content") {
        for ct in ["folders", "files"] {
            let v = alice
                .call("folder/get_content", &[("content_type", ct)])
                .await
                .unwrap();
            let mut r = v["response"].clone();
            r.as_object_mut().unwrap().remove("new_key");
            out.push(r);
        }
    }
    out
}

/// One pair of requests bob sends: with alice's keys, and with never-issued keys in their place.
struct Probe {
    label: String,
    with_alice: Vec<(String, String)>,
    with_fresh: Vec<(String, String)>,
    /// (alice's key, the never-issued key) for each probed parameter.
    swapped: Vec<(String, String)>,
}

/// The probes of one call: each key parameter alone (and after one of bob's own keys when it
/// takes a list), then all key parameters at once; the other parameters carry bob's own keys.
fn probes(spec: &CallSpec, keys: &KeySet) -> Vec<Probe> {
    let name = spec.name();
    let request = |with: &[(&str, String)]| -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = extras(&name)
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for kp in spec.key_params {
            let v = with
                .iter()
                .find(|(n, _)| *n == kp.name)
                .map_or_else(|| keys.bob(kp.kind), |(_, v)| v.clone());
            p.push((kp.name.to_string(), v));
        }
        p
    };
    let mut out = Vec::new();
    for kp in spec.key_params {
        for alice_key in keys.alice(kp.kind) {
            let fresh = fresh_key(kp.kind);
            assert_eq!(fresh.len(), alice_key.len());
            out.push(Probe {
                label: format!("{name} {}={alice_key}", kp.name),
                with_alice: request(&[(kp.name, alice_key.clone())]),
                with_fresh: request(&[(kp.name, fresh.clone())]),
                swapped: vec![(alice_key.clone(), fresh.clone())],
            });
            if kp.list {
                let own = keys.bob(kp.kind);
                out.push(Probe {
                    label: format!("{name} {}={own},{alice_key}", kp.name),
                    with_alice: request(&[(kp.name, format!("{own},{alice_key}"))]),
                    with_fresh: request(&[(kp.name, format!("{own},{fresh}"))]),
                    swapped: vec![(alice_key.clone(), fresh.clone())],
                });
            }
        }
    }
    let swapped: Vec<(String, String)> = spec
        .key_params
        .iter()
        .map(|kp| (keys.alice(kp.kind)[0].clone(), fresh_key(kp.kind)))
        .collect();
    let pick = |alice: bool| -> Vec<(&str, String)> {
        spec.key_params
            .iter()
            .zip(&swapped)
            .map(|(kp, (a, f))| (kp.name, if alice { a.clone() } else { f.clone() }))
            .collect()
    };
    out.push(Probe {
        label: format!("{name} all keys"),
        with_alice: request(&pick(true)),
        with_fresh: request(&pick(false)),
        swapped,
    });
    out
}

#[tokio::test]
async fn another_users_keys_look_never_issued() {
    let s = TestServer::start().await;
    let implemented = hearth_server::handlers::implemented();

    // Alice: a private folder holding a private file, a private file in the root, and a
    // trashed folder and file.
    let alice = Owner::of(&s, EMAIL).await;
    let (secret, _) = alice.folder(&s, None, "secret").await;
    let (in_secret, _) = alice.file(&s, Some(&secret), "in.txt", b"alice").await;
    let (root_file, _) = alice.file(&s, None, "root.txt", b"alice2").await;
    let (binned, _) = alice.folder(&s, None, "binned").await;
    let (binned_file, _) = alice.file(&s, None, "binned.txt", b"alice3").await;
    s.core
        .delete_folders(&alice.caller, &[&binned])
        .await
        .unwrap();
    s.core
        .delete_files(&alice.caller, &[&binned_file])
        .await
        .unwrap();

    s.core
        .create_user(BOB, BOB_PASSWORD, "Bob", "B", false)
        .await
        .unwrap();
    let bob_owner = Owner::of(&s, BOB).await;
    let (bob_folder, _) = bob_owner.folder(&s, None, "mine").await;
    let (bob_file, _) = bob_owner
        .file(&s, Some(&bob_folder), "mine.txt", b"bob")
        .await;
    let keys = KeySet {
        alice_folders: vec![secret.clone(), binned.clone()],
        alice_files: vec![in_secret.clone(), root_file.clone(), binned_file.clone()],
        bob_folder,
        bob_file,
        bob_upload: fresh_key(KeyKind::UploadKey),
    };

    let alice_client = s.login(2).await;
    let bob = s.client();
    bob.login(APP_ID, None, BOB, BOB_PASSWORD, 2).await.unwrap();
    let before = snapshot(&alice_client, &implemented).await;

    let mut judged = Vec::new();
    let mut missing = Vec::new();
    let mut failures = Vec::new();
    for spec in CALLS {
        let name = spec.name();
        if !implemented.contains(&name.as_str()) {
            // Without a handler: 253 (HTTP 404), whatever is sent.
            let p: Vec<(String, String)> = spec
                .key_params
                .iter()
                .map(|kp| (kp.name.to_string(), keys.alice(kp.kind)[0].clone()))
                .collect();
            let a = ask(&bob, &name, &p, &[]).await;
            if (a.status, a.error.as_u64()) != (404, Some(253)) {
                failures.push(format!("{name}: missing but answered {a:?}"));
            }
            if !spec.key_params.is_empty() {
                missing.push(name);
            }
            continue;
        }
        if spec.key_params.is_empty() {
            continue;
        }
        for p in probes(spec, &keys) {
            let alice_keys: Vec<&str> = p.swapped.iter().map(|(a, _)| a.as_str()).collect();
            let fresh_keys: Vec<&str> = p.swapped.iter().map(|(_, f)| f.as_str()).collect();
            let a = ask(&bob, &name, &p.with_alice, &alice_keys).await;
            let b = ask(&bob, &name, &p.with_fresh, &fresh_keys).await;
            if a != b {
                failures.push(format!(
                    "{}: alice's key answered {a:?}, a never-issued key {b:?}",
                    p.label
                ));
            }
        }
        let now = snapshot(&alice_client, &implemented).await;
        if now != before {
            failures.push(format!(
                "{name}: alice's data changed: {before:?} → {now:?}"
            ));
        }
        judged.push(name);
    }

    println!(
        "authorization matrix: {} calls judged: {judged:?}",
        judged.len()
    );
    println!(
        "authorization matrix: {} calls with key parameters not implemented (253): {missing:?}",
        missing.len()
    );
    let with_keys = CALLS.iter().filter(|c| !c.key_params.is_empty()).count();
    assert_eq!(
        with_keys, ROWS_WITH_KEYS,
        "the calls table changed: update the matrix"
    );
    assert_eq!(judged.len() + missing.len(), with_keys);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
