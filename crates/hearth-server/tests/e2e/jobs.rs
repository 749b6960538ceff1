//! The asynchronous job queue: large folder/copy, move, delete, purge, update
//! (privacy_recursive) and device/empty_trash answer `asynchronous: yes`, refuse other
//! async-capable calls with 208 while they run, show in device/get_status, and finish with
//! exactly the result of the inline operation.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use hearth_client::Client;
use hearth_store::tree;
use serde_json::Value;

use crate::device::Owner;
use crate::harness::{TestServer, EMAIL};

/// Above this many items a call becomes a job (the tree below has 131).
const THRESHOLD: u64 = 20;
const FILES_PER_FOLDER: usize = 12;

async fn server() -> TestServer {
    TestServer::with_settings(|s| {
        s.async_threshold = THRESHOLD;
        s.job_batch_delay = Duration::from_millis(150);
    })
    .await
}

/// `Src` with 3 folders of 2 folders each, 12 files (distinct contents) in each of the 10
/// folders: 9 folders and 120 files below `Src`. Returns Src's key.
async fn big_tree(s: &TestServer, o: &Owner, parent: Option<&str>, name: &str) -> String {
    let (top, _) = o.folder(s, parent, name).await;
    let mut folders = vec![(top.clone(), name.to_string())];
    for i in 0..3 {
        let (d, _) = o.folder(s, Some(&top), &format!("d{i}")).await;
        folders.push((d.clone(), format!("{name}/d{i}")));
        for j in 0..2 {
            let (e, _) = o.folder(s, Some(&d), &format!("e{j}")).await;
            folders.push((e, format!("{name}/d{i}/e{j}")));
        }
    }
    for (key, path) in &folders {
        for k in 0..FILES_PER_FOLDER {
            let body = format!("{path}/f{k} {}", "x".repeat(k));
            o.file(s, Some(key), &format!("f{k}.txt"), body.as_bytes())
                .await;
        }
    }
    top
}

/// A small folder with one file (2 items: below the threshold).
async fn small_tree(s: &TestServer, o: &Owner, name: &str) -> String {
    let (k, _) = o.folder(s, None, name).await;
    o.file(s, Some(&k), "small.txt", b"small").await;
    k
}

/// Every item below a folder by path: kind, size, hash, privacy, trash state; plus the
/// folder and file counts (a duplicate would not hide in the map).
async fn snapshot(s: &TestServer, key: &str) -> (BTreeMap<String, String>, usize, usize) {
    let mut c = s.core.db().acquire().await.unwrap();
    let top = tree::folder_by_key(&mut c, key).await.unwrap().unwrap();
    let folders = tree::subtree_folders(&mut c, top.id).await.unwrap();
    let files = tree::subtree_files(&mut c, top.id).await.unwrap();
    let mut paths: HashMap<i64, String> = HashMap::new();
    let mut out = BTreeMap::new();
    for f in &folders {
        let path = match f.parent_id {
            Some(p) if f.id != top.id => format!("{}/{}", paths[&p], f.name),
            _ => String::new(),
        };
        if f.id != top.id {
            out.insert(
                path.clone(),
                format!(
                    "dir {} s{} d{}",
                    f.privacy,
                    f.trash_state,
                    f.depth - top.depth
                ),
            );
        }
        paths.insert(f.id, path);
    }
    for f in &files {
        out.insert(
            format!("{}/{}", paths[&f.folder_id], f.name),
            format!(
                "file {} {} {} s{}",
                f.size, f.hash, f.privacy, f.trash_state
            ),
        );
    }
    (out, folders.len() - 1, files.len())
}

async fn used_bytes(s: &TestServer, o: &Owner) -> i64 {
    s.core.user(o.uid).await.unwrap().used_bytes
}

fn rev(v: &Value) -> i64 {
    v["response"]["new_device_revision"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn status(c: &Client) -> Value {
    c.call("device/get_status", &[]).await.unwrap()["response"].clone()
}

/// Polls device/get_status until no job is in progress (bounded); returns the job types seen.
async fn wait_idle(c: &Client) -> Vec<String> {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let r = status(c).await;
        if r["async_jobs_in_progress"] == "no" {
            assert_eq!(r["async_job_types"], serde_json::json!([]));
            return seen;
        }
        for t in r["async_job_types"].as_array().unwrap() {
            let t = t.as_str().unwrap().to_string();
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The call was queued: `asynchronous: yes`, the revision at acceptance, the job visible in
/// get_status, and another async-capable call of the account (however small) refused with 208.
async fn assert_queued(s: &TestServer, c: &Client, v: &Value, before: i64, kind: &str) {
    let r = &v["response"];
    assert_eq!(r["asynchronous"], "yes", "{v}");
    assert_eq!(rev(v), before, "the revision at acceptance");
    assert_eq!(r["device_revision"], r["new_device_revision"]);
    let st = status(c).await;
    assert_eq!(st["async_jobs_in_progress"], "yes", "{st}");
    assert_eq!(st["async_job_types"], serde_json::json!([kind]));
    let simple = c
        .call("device/get_status", &[("simple_report", "yes")])
        .await
        .unwrap();
    assert_eq!(simple["response"]["async_jobs_in_progress"], "yes");
    let other = Owner::of(s, EMAIL).await;
    let tiny = small_tree(s, &other, &format!("tiny-{}", kind.replace('/', "-"))).await;
    let r = c
        .call_raw("folder/delete", &[("folder_key", &tiny)])
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json().unwrap()["response"]["error"], 208);
    let r = c.call_raw("device/empty_trash", &[]).await.unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 208);
    // Calls that are not async-capable still work.
    c.call("folder/create", &[("foldername", "meanwhile")])
        .await
        .unwrap();
    let seen = wait_idle(c).await;
    assert!(seen.is_empty() || seen == [kind], "{seen:?}");
    // Free again: the small delete runs inline.
    let v = c
        .call("folder/delete", &[("folder_key", &tiny)])
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
}

#[tokio::test]
async fn a_large_copy_is_a_job_and_copies_everything_once() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (dst, _) = o.folder(&s, None, "Dst").await;
    let before_bytes = used_bytes(&s, &o).await;
    let (want, nfolders, nfiles) = snapshot(&s, &src).await;
    assert_eq!((nfolders, nfiles), (9, 120));

    let before = o.revision(&s).await;
    let v = c
        .call(
            "folder/copy",
            &[("folder_key_src", &src), ("folder_key_dst", &dst)],
        )
        .await
        .unwrap();
    let new_keys = v["response"]["new_folderkeys"].as_array().unwrap().clone();
    assert_eq!(new_keys.len(), 1, "the copy's key is answered at once");
    assert_queued(&s, &c, &v, before, "folder/copy").await;

    let copy = new_keys[0].as_str().unwrap();
    let (got, f, n) = snapshot(&s, copy).await;
    assert_eq!((f, n), (9, 120), "nothing duplicated, nothing missing");
    assert_eq!(got, want);
    assert_eq!(snapshot(&s, &src).await.0, want, "the source is unchanged");
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", &dst), ("content_type", "folders")],
        )
        .await
        .unwrap();
    let names = v["response"]["folder_content"]["folders"]
        .as_array()
        .unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0]["folderkey"], copy);
    assert_eq!(names[0]["name"], "Src");
    // assert_queued's small tree holds 5 bytes.
    assert_eq!(used_bytes(&s, &o).await, 2 * before_bytes + 5);
    // Stamped batch by batch: 130 steps in batches of 100, each its own revision after the
    // acceptance revision.
    let mut conn = s.core.db().acquire().await.unwrap();
    let top = tree::folder_by_key(&mut conn, copy).await.unwrap().unwrap();
    let mut revs: Vec<i64> = tree::subtree_files(&mut conn, top.id)
        .await
        .unwrap()
        .iter()
        .map(|f| f.revision)
        .collect();
    revs.sort_unstable();
    revs.dedup();
    assert_eq!(revs.len(), 2, "two batches: {revs:?}");
    assert!(revs[0] > before);
}

#[tokio::test]
async fn validation_errors_are_answered_before_queueing() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", &src), ("content_type", "folders")],
        )
        .await
        .unwrap();
    let d0 = v["response"]["folder_content"]["folders"][0]["folderkey"]
        .as_str()
        .unwrap()
        .to_string();
    // Into itself: 115, no job.
    let r = c
        .call_raw(
            "folder/copy",
            &[("folder_key_src", &src), ("folder_key_dst", &d0)],
        )
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 115);
    let r = c
        .call_raw(
            "folder/move",
            &[("folder_key_src", &src), ("folder_key_dst", &d0)],
        )
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 115);
    // Over the quota: 162.
    s.core.set_quota(o.uid, 10).await.unwrap();
    let r = c
        .call_raw("folder/copy", &[("folder_key_src", &src)])
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 162);
    // A bad privacy value: 129.
    let r = c
        .call_raw(
            "folder/update",
            &[
                ("folder_key", &src),
                ("privacy", "maybe"),
                ("privacy_recursive", "yes"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 129);
    assert_eq!(status(&c).await["async_jobs_in_progress"], "no");
}

#[tokio::test]
async fn a_large_move_and_its_undelete_are_jobs() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (dst, _) = o.folder(&s, None, "Dst").await;
    let (want, _, _) = snapshot(&s, &src).await;

    let before = o.revision(&s).await;
    let v = c
        .call(
            "folder/move",
            &[("folder_key_src", &src), ("folder_key_dst", &dst)],
        )
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/move").await;
    let v = c
        .call("folder/get_info", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(v["response"]["folder_info"]["parent_folderkey"], dst);
    let (got, f, n) = snapshot(&s, &src).await;
    assert_eq!((f, n), (9, 120));
    assert_eq!(got, want, "depths follow, nothing else changes");

    // Delete it (a job), then move it out of the trash (a job restoring the subtree).
    let before = o.revision(&s).await;
    let v = c
        .call("folder/delete", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/delete").await;
    let before = o.revision(&s).await;
    let v = c
        .call("folder/move", &[("folder_key_src", &src)])
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/move").await;
    let (got, _, _) = snapshot(&s, &src).await;
    assert_eq!(got, want, "everything is live again");
    let v = c
        .call("folder/get_info", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(v["response"]["folder_info"]["parent_folderkey"], "myfiles");
}

#[tokio::test]
async fn a_large_delete_is_a_job() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (live, _, _) = snapshot(&s, &src).await;
    let before = o.revision(&s).await;
    let v = c
        .call("folder/delete", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/delete").await;
    let (got, f, n) = snapshot(&s, &src).await;
    assert_eq!((f, n), (9, 120));
    let want: BTreeMap<String, String> = live
        .iter()
        .map(|(k, v)| (k.clone(), v.replace(" s0", " s2")))
        .collect();
    assert_eq!(got, want, "every item below is inside a deleted folder");
    let v = c.call("device/get_trash", &[]).await.unwrap();
    let trash = v["response"]["folders"].as_array().unwrap();
    // Src, and the tiny folder assert_queued deleted.
    assert_eq!(trash.len(), 2);
    assert!(trash.iter().any(|f| f["folderkey"] == src.as_str()));
    let v = c
        .call(
            "folder/search",
            &[("search_text", "f1"), ("search_all", "yes")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["results_count"], "0", "{v}");
}

#[tokio::test]
async fn a_large_purge_is_a_job() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let keep = small_tree(&s, &o, "Keep").await;
    let keep_bytes = used_bytes(&s, &o).await;
    let src = big_tree(&s, &o, None, "Src").await;
    // A file deleted on its own inside survives the purge in the trash (moved to the root).
    let v = c
        .call(
            "folder/get_content",
            &[("folder_key", &src), ("content_type", "files")],
        )
        .await
        .unwrap();
    let lone = v["response"]["folder_content"]["files"][0]["quickkey"]
        .as_str()
        .unwrap()
        .to_string();
    c.call("file/delete", &[("quick_key", &lone)])
        .await
        .unwrap();
    let lone_size = s
        .core
        .file_for_read(Some(&o.caller), Some(&lone), None)
        .await
        .unwrap()
        .row
        .size;

    let before = o.revision(&s).await;
    let v = c
        .call("folder/purge", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/purge").await;
    let r = c
        .call_raw("folder/get_info", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 112);
    let mut conn = s.core.db().acquire().await.unwrap();
    let root = tree::root_folder(&mut conn, o.uid).await.unwrap().unwrap();
    let folders = tree::subtree_folders(&mut conn, root.id).await.unwrap();
    let files = tree::subtree_files(&mut conn, root.id).await.unwrap();
    // Root, Keep, and from assert_queued "meanwhile" and the tiny folder (in the trash).
    assert_eq!(folders.len(), 4, "{folders:?}");
    assert_eq!(
        files.len(),
        3,
        "Keep's and tiny's files and the lone one: {files:?}"
    );
    assert!(files
        .iter()
        .any(|f| f.quickkey == lone && f.folder_id == root.id));
    drop(conn);
    assert_eq!(used_bytes(&s, &o).await, keep_bytes + 5 + lone_size);
    // Every purged item left one tombstone.
    let v = c
        .call("device/get_changes", &[("revision", &before.to_string())])
        .await
        .unwrap();
    let deleted = &v["response"]["deleted"];
    assert_eq!(deleted["folders"].as_array().unwrap().len(), 10);
    assert_eq!(deleted["files"].as_array().unwrap().len(), 119);
    let _ = keep;
}

#[tokio::test]
async fn a_large_recursive_privacy_change_is_a_job() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (private, _, _) = snapshot(&s, &src).await;
    let before = o.revision(&s).await;
    let v = c
        .call(
            "folder/update",
            &[
                ("folder_key", &src),
                ("privacy", "public"),
                ("privacy_recursive", "yes"),
                ("description", "shared"),
            ],
        )
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/update").await;
    let (got, f, n) = snapshot(&s, &src).await;
    assert_eq!((f, n), (9, 120));
    let want: BTreeMap<String, String> = private
        .iter()
        .map(|(k, v)| (k.clone(), v.replace("private", "public")))
        .collect();
    assert_eq!(got, want);
    let v = c
        .call("folder/get_info", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(v["response"]["folder_info"]["privacy"], "public");
    assert_eq!(v["response"]["folder_info"]["description"], "shared");
    // Without privacy_recursive it stays inline, whatever the size.
    let v = c
        .call(
            "folder/update",
            &[("folder_key", &src), ("privacy", "private")],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "no");
}

#[tokio::test]
async fn a_large_empty_trash_is_a_job() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let keep = small_tree(&s, &o, "Keep").await;
    let keep_bytes = used_bytes(&s, &o).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (lone, _) = o.file(&s, None, "lone.txt", b"lonely").await;
    s.core.delete_files(&o.caller, &[&lone]).await.unwrap();
    s.core.delete_folders(&o.caller, &[&src]).await.unwrap();

    let before = o.revision(&s).await;
    let v = c.call("device/empty_trash", &[]).await.unwrap();
    assert_queued(&s, &c, &v, before, "device/empty_trash").await;
    let v = c.call("device/get_trash", &[]).await.unwrap();
    // Only the tiny folder assert_queued deleted at the end remains.
    assert_eq!(v["response"]["folders"].as_array().unwrap().len(), 1);
    assert_eq!(v["response"]["files"], serde_json::json!([]));
    assert_eq!(used_bytes(&s, &o).await, keep_bytes + 5);
    let _ = keep;
}

/// Two nodes on one PostgreSQL, both running job workers: the copy happens exactly once.
#[tokio::test]
async fn two_nodes_run_a_job_once() {
    if hearth_store::testing::pg_url().is_none() {
        return;
    }
    let s = server().await;
    let _second = TestServer::second_node(&s).await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let (want, _, _) = snapshot(&s, &src).await;
    let before = o.revision(&s).await;
    let v = c
        .call("folder/copy", &[("folder_key_src", &src)])
        .await
        .unwrap();
    assert_queued(&s, &c, &v, before, "folder/copy").await;
    let copy = v["response"]["new_folderkeys"][0].as_str().unwrap();
    let (got, f, n) = snapshot(&s, copy).await;
    assert_eq!((f, n), (9, 120));
    assert_eq!(got, want);
}

/// Ended jobs are removed once they are old enough, with their steps; recent ones stay.
#[tokio::test]
async fn finished_jobs_are_pruned_when_old() {
    let s = server().await;
    let c = s.login(2).await;
    let o = Owner::of(&s, EMAIL).await;
    let src = big_tree(&s, &o, None, "Src").await;
    let v = c
        .call("folder/delete", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "yes");
    wait_idle(&c).await;
    // Just finished: kept by the worker's rule (a week).
    assert_eq!(s.core.prune_finished_jobs().await.unwrap(), 0);
    let mut tx = s.core.db().begin_write().await.unwrap();
    assert_eq!(
        hearth_store::jobs::prune_finished(&mut tx, i64::MAX)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    // The account can queue the next job as before.
    let v = c
        .call("folder/purge", &[("folder_key", &src)])
        .await
        .unwrap();
    assert_eq!(v["response"]["asynchronous"], "yes");
    wait_idle(&c).await;
}
