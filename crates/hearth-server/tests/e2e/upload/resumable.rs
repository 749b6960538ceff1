//! upload/resumable: a 40 MiB upload in 20 units sent out of order, concurrently, with a retried
//! unit; refused units (wrong hash or size) leave no trace; check's bitmap; a session that
//! survives a restart (a fresh Core on the same database); expiry cleanup.

use futures_util::future::join_all;
use hearth_client::Client;
use hearth_core::sessions::Caller;
use hearth_core::uploads::{
    ByteSource, CheckRequest, Destination, ResumableOutcome, ResumableRequest, UploadDuplicate,
};
use hearth_core::Core;
use serde_json::Value;

use super::{bytes, multipart, poll, send, sha, Body};
use crate::file::{alice, row};
use crate::harness::{test_settings, TestServer};

const MIB: usize = 1024 * 1024;

/// The unit `id` of `data` cut in `unit`-byte units, as a raw body with the unit headers.
fn unit_body(data: &[u8], unit: usize, id: usize) -> Body<'static> {
    let part = &data[id * unit..((id + 1) * unit).min(data.len())];
    Body {
        headers: unit_headers(data, id, part, &sha(part)),
        content_type: "application/octet-stream".into(),
        bytes: part.to_vec(),
    }
}

fn unit_headers(
    data: &[u8],
    id: usize,
    part: &[u8],
    unit_hash: &str,
) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("X-Filesize", data.len().to_string().into_bytes()),
        ("X-Filehash", sha(data).into_bytes()),
        ("x-unit-id", id.to_string().into_bytes()),
        ("x-unit-size", part.len().to_string().into_bytes()),
        ("x-unit-hash", unit_hash.as_bytes().to_vec()),
    ]
}

async fn upload_token(c: &Client) -> String {
    let v = c
        .call("user/get_action_token", &[("type", "upload")])
        .await
        .unwrap();
    v["response"]["action_token"].as_str().unwrap().to_string()
}

async fn check(s: &TestServer, token: &str, name: &str, data: &[u8]) -> Value {
    let size = data.len().to_string();
    let hash = sha(data);
    let v = send(
        s,
        None,
        Some(token),
        "upload/check",
        &[
            ("filename", name),
            ("hash", &hash),
            ("size", &size),
            ("resumable", "yes"),
        ],
        Body {
            headers: vec![],
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: vec![],
        },
    )
    .await;
    assert_eq!(v["response"]["result"], "Success", "{v}");
    v["response"]["resumable_upload"].clone()
}

async fn unit(s: &TestServer, token: &str, body: Body<'_>) -> Value {
    let v = send(s, None, Some(token), "upload/resumable", &[], body).await;
    assert_eq!(v["response"]["result"], "Success", "{v}");
    v["response"].clone()
}

#[tokio::test]
async fn forty_mib_out_of_order_concurrent_and_retried() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let data = bytes(40 * MIB, 7);
    let unit_size = 2 * MIB;

    let r = check(&s, &token, "big.bin", &data).await;
    assert_eq!(r["number_of_units"], "20");
    assert_eq!(r["unit_size"], unit_size.to_string());
    assert_eq!(r["all_units_ready"], "no");
    assert_eq!(
        r["bitmap"],
        serde_json::json!({"count": "2", "words": ["0", "0"]})
    );
    let key = r["upload_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 11);
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "17", "{p}");

    // Units 19, 0 and 17 first; 17 as multipart (the PyPI shape: part `file`, name `chunk`).
    let u = unit(&s, &token, unit_body(&data, unit_size, 19)).await;
    assert_eq!(
        u["doupload"],
        serde_json::json!({"result": "0", "key": key})
    );
    unit(&s, &token, unit_body(&data, unit_size, 0)).await;
    let part = &data[17 * unit_size..18 * unit_size];
    let mut mp = multipart(&[], "chunk", part);
    mp.headers = unit_headers(&data, 17, part, &sha(part));
    let u = unit(&s, &token, mp).await;
    assert_eq!(u["doupload"]["key"], key.as_str());
    let words = &u["resumable_upload"]["bitmap"]["words"];
    assert_eq!(words, &serde_json::json!(["1", "10"]), "{u}");
    // check reports the same bitmap and keeps the key.
    let r = check(&s, &token, "big.bin", &data).await;
    assert_eq!(r["bitmap"]["words"], serde_json::json!(["1", "10"]));
    assert_eq!(r["upload_key"], key.as_str());
    // A retry of unit 0 is idempotent.
    let u = unit(&s, &token, unit_body(&data, unit_size, 0)).await;
    assert_eq!(u["resumable_upload"]["bitmap"]["words"][0], "1");

    // The rest, concurrently, in reverse order, with unit 5 twice.
    let mut ids: Vec<usize> = (1..17).rev().chain([18, 5]).collect();
    ids.swap(0, 3);
    let answers = join_all(
        ids.iter()
            .map(|&id| unit(&s, &token, unit_body(&data, unit_size, id))),
    )
    .await;
    for a in &answers {
        assert_eq!(a["doupload"]["result"], "0", "{a}");
        assert_eq!(a["doupload"]["key"], key.as_str());
    }
    assert!(answers
        .iter()
        .any(|a| a["resumable_upload"]["all_units_ready"] == "yes"));
    let r = check(&s, &token, "big.bin", &data).await;
    assert_eq!(r["all_units_ready"], "yes", "{r}");
    assert_eq!(r["bitmap"]["words"], serde_json::json!(["65535", "15"]));
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "", "{p}");
    assert_eq!(p["filename"], "big.bin");
    assert_eq!(p["hash"], sha(&data));
    let q = p["quickkey"].as_str().unwrap();
    let f = row(&s, uid, q).await.unwrap();
    assert_eq!((f.size, f.hash.clone()), (data.len() as i64, sha(&data)));
    let info = c.call("file/get_info", &[("quick_key", q)]).await.unwrap();
    assert_eq!(info["response"]["file_info"]["hash"], sha(&data));
    assert_eq!(
        info["response"]["file_info"]["size"],
        data.len().to_string()
    );
    // A late retry changes nothing; the unit files are gone.
    let u = unit(&s, &token, unit_body(&data, unit_size, 3)).await;
    assert_eq!(u["doupload"]["key"], key.as_str());
    assert_eq!(u["resumable_upload"]["all_units_ready"], "yes");
    let spool = s.core.blobs().unit_spool_dir().unwrap().join(&key);
    assert!(!spool.exists());
    assert_eq!(poll(&s, &key).await["quickkey"], q);
}

#[tokio::test]
async fn wrong_hash_or_size_is_refused_and_not_recorded() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let data = bytes(5 * MIB, 3);
    let r = check(&s, &token, "five.bin", &data).await;
    assert_eq!(
        (r["number_of_units"].as_str(), r["unit_size"].as_str()),
        (Some("5"), Some("1048576"))
    );
    let key = r["upload_key"].as_str().unwrap().to_string();

    // Wrong unit hash: -304.
    let mut b = unit_body(&data, MIB, 1);
    b.headers = unit_headers(&data, 1, &data[MIB..2 * MIB], &sha(b"other"));
    assert_eq!(unit(&s, &token, b).await["doupload"]["result"], "-304");
    // Bytes that do not match their (right) hash: -304 too.
    let mut b = unit_body(&data, MIB, 2);
    b.bytes[0] ^= 1;
    assert_eq!(unit(&s, &token, b).await["doupload"]["result"], "-304");
    // A size that is not the unit's: -303; a short body: -303; an id out of range: -303.
    let mut b = unit_body(&data, MIB, 2);
    b.headers[3].1 = b"100".to_vec();
    assert_eq!(unit(&s, &token, b).await["doupload"]["result"], "-303");
    let mut b = unit_body(&data, MIB, 2);
    b.bytes.truncate(1000);
    assert_eq!(unit(&s, &token, b).await["doupload"]["result"], "-303");
    let mut b = unit_body(&data, MIB, 2);
    b.headers[2].1 = b"5".to_vec();
    assert_eq!(unit(&s, &token, b).await["doupload"]["result"], "-303");
    // A unit of content no check opened (and no X-Filename): -302.
    let other = bytes(5 * MIB, 4);
    assert_eq!(
        unit(&s, &token, unit_body(&other, MIB, 0)).await["doupload"]["result"],
        "-302"
    );

    let r = check(&s, &token, "five.bin", &data).await;
    assert_eq!(r["bitmap"]["words"], serde_json::json!(["0"]));
    assert_eq!(r["upload_key"], key.as_str());
    let spool = s.core.blobs().unit_spool_dir().unwrap().join(&key);
    let left: Vec<_> = std::fs::read_dir(&spool)
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no unit (or temp) file stays: {left:?}");
    // The last unit alone is accepted (shorter than the others).
    let u = unit(&s, &token, unit_body(&data, MIB, 4)).await;
    assert_eq!(
        u["resumable_upload"]["bitmap"]["words"],
        serde_json::json!(["16"])
    );
}

/// A unit's bytes for the core API.
struct Bytes1(Option<Vec<u8>>);

impl ByteSource for Bytes1 {
    type Chunk = Vec<u8>;
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ()> {
        Ok(self.0.take())
    }
}

#[tokio::test]
async fn an_interrupted_upload_finishes_after_a_restart() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let data = bytes(6 * MIB + 123, 9);
    let r = check(&s, &token, "restart.bin", &data).await;
    let key = r["upload_key"].as_str().unwrap().to_string();
    for id in [0, 2, 6] {
        unit(&s, &token, unit_body(&data, MIB, id)).await;
    }

    // "Restart": a new Core with a new connection pool on the same database and blob dir.
    let db = hearth_store::Db::connect(&s.db_url()).await.unwrap();
    let core = Core::new(db, test_settings(), s.core.blobs().clone());
    let caller = Caller::owner(uid);
    let hash = sha(&data);
    let checked = core
        .upload_check(
            &caller,
            CheckRequest {
                filename: Some("restart.bin"),
                hash: Some(&hash),
                size: Some(data.len() as i64),
                dest: Destination::default(),
                resumable: true,
            },
        )
        .await
        .unwrap();
    let st = checked.resumable.unwrap();
    assert_eq!(st.upload_key.as_deref(), Some(key.as_str()));
    assert_eq!(st.received, vec![0, 2, 6]);
    assert_eq!(st.words(), vec![0b100_0101]);
    let size = data.len().to_string();
    for id in [5, 4, 3, 1] {
        let part = data[id * MIB..((id + 1) * MIB).min(data.len())].to_vec();
        let (ids, ph, ps) = (id.to_string(), sha(&part), part.len().to_string());
        let out = core
            .upload_resumable(
                &caller,
                ResumableRequest {
                    filename: None,
                    declared_size: Some(&size),
                    declared_hash: Some(&hash),
                    unit_id: Some(&ids),
                    unit_hash: Some(&ph),
                    unit_size: Some(&ps),
                    dest: Destination::default(),
                    on_duplicate: UploadDuplicate::Skip,
                    mtime_us: None,
                },
                &mut Bytes1(Some(part)),
            )
            .await
            .unwrap();
        let ResumableOutcome::Unit(st) = out else {
            panic!("unit {id} refused")
        };
        assert_eq!(st.all_units_ready, id == 1);
    }
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "");
    let f = row(&s, uid, p["quickkey"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        (f.name.as_str(), f.size),
        ("restart.bin", data.len() as i64)
    );
    assert_eq!(f.hash, hash);
}

#[tokio::test]
async fn expired_sessions_are_removed_with_their_units() {
    let s = TestServer::with_settings(|st| st.resumable_lifetime = std::time::Duration::ZERO).await;
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let data = bytes(4 * MIB, 5);
    let r = check(&s, &token, "gone.bin", &data).await;
    let key = r["upload_key"].as_str().unwrap().to_string();
    unit(&s, &token, unit_body(&data, MIB, 1)).await;
    let spool = s.core.blobs().unit_spool_dir().unwrap().join(&key);
    assert!(spool.join("1").exists());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert!(s.core.cleanup_resumable().await.unwrap() >= 1);
    assert!(!spool.exists());
    assert_eq!(poll(&s, &key).await["result"], "-80");
    // A new check opens a new session with a new key and an empty bitmap.
    let r = check(&s, &token, "gone.bin", &data).await;
    assert_ne!(r["upload_key"], key.as_str());
    assert_eq!(r["bitmap"]["words"], serde_json::json!(["0"]));
}

#[tokio::test]
async fn spooled_units_count_against_the_quota() {
    let s = TestServer::start().await;
    let uid = alice(&s).await;
    s.core.set_quota(uid, 7 * MIB as u64).await.unwrap();
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let (a, b) = (bytes(4 * MIB + 1, 21), bytes(4 * MIB + 1, 22));
    check(&s, &token, "a.bin", &a).await;
    check(&s, &token, "b.bin", &b).await;
    for id in 0..4 {
        unit(&s, &token, unit_body(&a, MIB, id)).await;
    }
    // b does not fit beside the 4 MiB of a's units waiting on disk: refused, nothing kept.
    let v = send(
        &s,
        None,
        Some(&token),
        "upload/resumable",
        &[],
        unit_body(&b, MIB, 0),
    )
    .await;
    assert_eq!(v["response"]["error"], 162, "{v}");
    let spool = s.core.blobs().unit_spool_dir().unwrap();
    let b_key = check(&s, &token, "b.bin", &b).await["upload_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!spool.join(&b_key).join("0").exists());
    // a's own units do not count twice: it completes.
    let u = unit(&s, &token, unit_body(&a, MIB, 4)).await;
    let p = poll(&s, u["doupload"]["key"].as_str().unwrap()).await;
    assert_eq!(p["status"], "99", "{p}");
    assert_eq!(p["fileerror"], "", "{p}");
}

#[tokio::test]
async fn an_assembly_cut_off_by_a_crash_finishes_at_the_next_start() {
    use hearth_store::uploads as store;
    let s = TestServer::start().await;
    if s.core.db().dialect() != hearth_store::Dialect::Sqlite {
        return; // several PostgreSQL nodes: another node may be assembling; sessions expire
    }
    let uid = alice(&s).await;
    let c = s.login(2).await;
    let token = upload_token(&c).await;
    let data = bytes(4 * MIB + 77, 11);
    let key = check(&s, &token, "cut.bin", &data).await["upload_key"]
        .as_str()
        .unwrap()
        .to_string();
    for id in 0..4 {
        unit(&s, &token, unit_body(&data, MIB, id)).await;
    }
    // What a server dying mid-assembly leaves: every unit on disk, the session assembling.
    let last = &data[4 * MIB..];
    let spool = s.core.blobs().unit_spool_dir().unwrap().join(&key);
    std::fs::write(spool.join("4"), last).unwrap();
    let mut conn = s.core.db().acquire_writer().await.unwrap();
    let session = store::resumable_by_content(&mut conn, uid, 0, &sha(&data), data.len() as i64)
        .await
        .unwrap()
        .unwrap();
    store::insert_unit(&mut conn, session.id, 4, &sha(last), last.len() as i64)
        .await
        .unwrap();
    assert!(store::set_resumable_state(
        &mut conn,
        session.id,
        store::RESUMABLE_RECEIVING,
        store::RESUMABLE_ASSEMBLING,
        i64::MAX
    )
    .await
    .unwrap());
    drop(conn);
    assert_ne!(poll(&s, &key).await["status"], "99");

    assert_eq!(s.core.resume_interrupted_assemblies().await.unwrap(), 1);
    let p = poll(&s, &key).await;
    assert_eq!(p["status"], "99", "{p}");
    let f = row(&s, uid, p["quickkey"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        (f.name.as_str(), f.hash.as_str()),
        ("cut.bin", sha(&data).as_str())
    );
    assert!(!spool.exists(), "the units are removed once assembled");
}
