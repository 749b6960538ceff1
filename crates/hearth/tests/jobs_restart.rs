//! A background job survives `kill -9`: the real binary starts a large folder/copy as a job,
//! is killed after the job committed its first batch (but not all of them), restarts on the
//! same data, finishes the job, and the copy equals the source exactly once. On SQLite, and on
//! PostgreSQL (a fresh database) when TEST_PG_URL is set.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{hearth, Server};

use hearth_client::Client;
use serde_json::Value;

const EMAIL: &str = "restart@example.com";
const PASSWORD: &str = "correct horse";
const APP_ID: &str = "42709";
/// 10 folders × 25 files + 9 folders below the top: 260 steps, three batches of ≤ 100.
const FILES_PER_FOLDER: usize = 25;
const BATCH_DELAY_MS: &str = "1000";
const ENV: &[(&str, &str)] = &[
    ("HEARTH_ASYNC_THRESHOLD", "20"),
    ("HEARTH_JOB_BATCH_DELAY_MS", BATCH_DELAY_MS),
];

fn serve(data: &Path, db_url: Option<&str>, log: &str) -> Server {
    common::serve(data, db_url, ENV, log)
}

async fn login(s: &Server) -> Client {
    let c = Client::new(&s.base);
    c.login(APP_ID, None, EMAIL, PASSWORD, 1)
        .await
        .expect("login");
    c
}

async fn call(c: &Client, action: &str, params: &[(&str, &str)]) -> Value {
    c.call(action, params)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"))["response"]
        .clone()
}

/// Every item below a folder through folder/get_content: path → kind, size, hash; and the
/// number of entries listed (a duplicate would not hide in the map).
async fn walk(c: &Client, key: &str) -> (BTreeMap<String, String>, usize) {
    let mut out = BTreeMap::new();
    let mut entries = 0;
    let mut todo = vec![(key.to_string(), String::new())];
    while let Some((k, path)) = todo.pop() {
        for kind in ["folders", "files"] {
            let r = call(
                c,
                "folder/get_content",
                &[
                    ("folder_key", &k),
                    ("content_type", kind),
                    ("chunk_size", "1000"),
                ],
            )
            .await;
            assert_eq!(r["folder_content"]["more_chunks"], "no");
            for e in r["folder_content"][kind].as_array().unwrap() {
                entries += 1;
                if kind == "folders" {
                    let p = format!("{path}/{}", e["name"].as_str().unwrap());
                    out.insert(p.clone(), "folder".to_string());
                    todo.push((e["folderkey"].as_str().unwrap().to_string(), p));
                } else {
                    out.insert(
                        format!("{path}/{}", e["filename"].as_str().unwrap()),
                        format!("file {} {}", e["size"], e["hash"]),
                    );
                }
            }
        }
    }
    (out, entries)
}

async fn killed_mid_job_finishes_exactly_once(data: &Path, db_url: Option<&str>) {
    let server = serve(data, db_url, "serve-1.log");
    let out = hearth(data, db_url, ENV)
        .args([
            "admin",
            "user",
            "create",
            "--email",
            EMAIL,
            "--password",
            PASSWORD,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let c = login(&server).await;

    // The source tree, over HTTP.
    let top = call(&c, "folder/create", &[("foldername", "Src")]).await["folder_key"]
        .as_str()
        .unwrap()
        .to_string();
    let mut folders = vec![top.clone()];
    for i in 0..3 {
        let d = call(
            &c,
            "folder/create",
            &[("foldername", &format!("d{i}")), ("parent_key", &top)],
        )
        .await["folder_key"]
            .as_str()
            .unwrap()
            .to_string();
        folders.push(d.clone());
        for j in 0..2 {
            let e = call(
                &c,
                "folder/create",
                &[("foldername", &format!("e{j}")), ("parent_key", &d)],
            )
            .await["folder_key"]
                .as_str()
                .unwrap()
                .to_string();
            folders.push(e);
        }
    }
    for f in &folders {
        for k in 0..FILES_PER_FOLDER {
            call(
                &c,
                "file/create",
                &[("filename", &format!("f{k}.txt")), ("parent_key", f)],
            )
            .await;
        }
    }
    let (want, want_entries) = walk(&c, &top).await;
    assert_eq!(want_entries, 9 + 10 * FILES_PER_FOLDER);
    let total = want_entries as i64;

    // The copy is queued.
    let r = call(&c, "folder/copy", &[("folder_key_src", &top)]).await;
    assert_eq!(r["asynchronous"], "yes", "{r}");
    let copy = r["new_folderkeys"][0].as_str().unwrap().to_string();
    let st = call(&c, "device/get_status", &[]).await;
    assert_eq!(st["async_jobs_in_progress"], "yes");

    // Wait until the first batch committed: the copy exists with part of its content.
    let start = Instant::now();
    let copied = loop {
        let r = c
            .call(
                "folder/get_info",
                &[("folder_key", copy.as_str()), ("details", "yes")],
            )
            .await;
        if let Ok(v) = r {
            let info = &v["response"]["folder_info"];
            let n = |k: &str| info[k].as_str().unwrap().parse::<i64>().unwrap();
            break n("total_folders") + n("total_files");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for the first batch"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A batch is all or nothing: the top and 99 more items.
    assert!(
        copied == 99 || copied == 199,
        "whole batches committed: {copied}"
    );
    assert!(copied < total, "not all of them");

    // kill -9, then restart on the same data.
    drop(c);
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let server = serve(data, db_url, "serve-2.log");
    let c = login(&server).await;
    let start = Instant::now();
    while call(&c, "device/get_status", &[]).await["async_jobs_in_progress"] != "no" {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out waiting for the job to finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The second process took the job up where the first one's last commit left it.
    let log = std::fs::read_to_string(data.join("serve-2.log")).unwrap();
    let resumed = format!("done={}", copied + 1);
    assert!(
        log.lines()
            .any(|l| l.contains("job started") && l.contains(&resumed)),
        "{log}"
    );

    // Exactly once: the copy equals the source, and there is one copy.
    let (got, got_entries) = walk(&c, &copy).await;
    assert_eq!(
        got_entries, want_entries,
        "nothing duplicated, nothing missing"
    );
    assert_eq!(got, want);
    let root = call(
        &c,
        "folder/get_content",
        &[("folder_key", "myfiles"), ("content_type", "folders")],
    )
    .await;
    let keys: Vec<&str> = root["folder_content"]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["folderkey"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&top.as_str()) && keys.contains(&copy.as_str()));
    let (src_again, _) = walk(&c, &top).await;
    assert_eq!(src_again, want, "the source is unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_job_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    killed_mid_job_finishes_exactly_once(dir.path(), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_job_survives_kill_9() {
    let Some((url, guard)) = common::fresh_postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    killed_mid_job_finishes_exactly_once(dir.path(), Some(&url)).await;
    drop(guard);
}
