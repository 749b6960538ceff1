//! The delayed garbage collector and fsck: unreferenced content goes after the grace period,
//! never while an upload or instant upload references it again, and fsck finds a store
//! consistent after every race.

use std::time::Duration;

use hearth_store::blob::BlobId;

use super::{bytes, raw, sha, upload_ok};
use crate::file::{alice, bob, refs};
use crate::harness::TestServer;

async fn purge(c: &hearth_client::Client, quickkey: &str) {
    c.call("file/purge", &[("quick_key", quickkey)])
        .await
        .unwrap();
}

async fn stored(s: &TestServer, hash: &str) -> bool {
    s.core
        .blobs()
        .exists(&BlobId::parse(hash).unwrap())
        .await
        .unwrap()
}

async fn assert_consistent(s: &TestServer) {
    let r = s.core.fsck(true, false).await.unwrap();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
}

#[tokio::test]
async fn unreferenced_content_goes_after_the_grace_period_only() {
    let s = TestServer::with_settings(|st| st.gc_grace = Duration::from_secs(3600)).await;
    alice(&s).await;
    let c = s.login(2).await;
    let data = bytes(70_000, 1);
    let h = sha(&data);
    let p = upload_ok(&s, &c, &[], raw("a.bin", &data)).await;
    purge(&c, p["quickkey"].as_str().unwrap()).await;
    assert_eq!(refs(&s, &h).await, Some(0));
    // Within the grace period nothing goes.
    assert_eq!(s.core.collect_garbage().await.unwrap().removed, 0);
    assert!(stored(&s, &h).await);
    assert_consistent(&s).await;

    let s = TestServer::with_settings(|st| st.gc_grace = Duration::ZERO).await;
    alice(&s).await;
    let c = s.login(2).await;
    let p = upload_ok(&s, &c, &[], raw("a.bin", &data)).await;
    upload_ok(&s, &c, &[], raw("kept.bin", &bytes(5000, 2))).await;
    purge(&c, p["quickkey"].as_str().unwrap()).await;
    let r = s.core.collect_garbage().await.unwrap();
    assert_eq!((r.removed, r.missing, r.kept_fresh), (1, 0, 0));
    assert!(!stored(&s, &h).await);
    assert_eq!(refs(&s, &h).await, None);
    assert!(stored(&s, &sha(&bytes(5000, 2))).await);
    assert_consistent(&s).await;
    // The same bytes again: stored anew.
    upload_ok(&s, &c, &[], raw("again.bin", &data)).await;
    assert!(stored(&s, &h).await);
    assert_eq!(refs(&s, &h).await, Some(1));
    assert_consistent(&s).await;
}

/// With global dedup another user's instant upload can bring unreferenced content back while
/// the collector removes it: whichever transaction comes first wins, and either way no file
/// is left without its bytes.
#[tokio::test]
async fn the_collector_never_races_an_instant_upload() {
    let s = TestServer::with_settings(|st| {
        st.gc_grace = Duration::ZERO;
        st.dedup_global = true;
    })
    .await;
    alice(&s).await;
    let (bc, _) = bob(&s).await;
    let c = s.login(2).await;
    let (mut resurrected, mut collected) = (0, 0);
    for i in 0..30 {
        let data = bytes(3000, 100 + i);
        let h = sha(&data);
        let p = upload_ok(&s, &c, &[], raw("x.bin", &data)).await;
        purge(&c, p["quickkey"].as_str().unwrap()).await;
        let size = data.len().to_string();
        let name = format!("bob-{i}.bin");
        let params = [
            ("hash", h.as_str()),
            ("size", size.as_str()),
            ("filename", name.as_str()),
        ];
        let (gc, instant) =
            tokio::join!(s.core.collect_garbage(), bc.call("upload/instant", &params));
        gc.unwrap();
        match instant {
            Ok(_) => {
                resurrected += 1;
                assert!(stored(&s, &h).await, "round {i}: a file without its bytes");
                assert_eq!(refs(&s, &h).await, Some(1));
            }
            Err(_) => {
                collected += 1;
                assert!(!stored(&s, &h).await);
            }
        }
        assert_consistent(&s).await;
    }
    eprintln!("resurrected {resurrected}, collected {collected}");
}

/// An upload of bytes the collector is removing at that moment: the freshly written blob is
/// never taken, the upload succeeds, and the file downloads.
#[tokio::test]
async fn the_collector_never_takes_a_freshly_uploaded_blob() {
    let s = TestServer::with_settings(|st| st.gc_grace = Duration::from_millis(800)).await;
    alice(&s).await;
    let c = s.login(2).await;
    for i in 0..4 {
        let data = bytes(200_000, 500 + i);
        let h = sha(&data);
        let p = upload_ok(&s, &c, &[], raw(&format!("gone-{i}.bin"), &data)).await;
        purge(&c, p["quickkey"].as_str().unwrap()).await;
        tokio::time::sleep(Duration::from_millis(900)).await;
        let (gc, up) = tokio::join!(
            s.core.collect_garbage(),
            upload_ok(&s, &c, &[], raw(&format!("again-{i}.bin"), &data))
        );
        let gc = gc.unwrap();
        assert!(up["quickkey"].is_string(), "round {i}: {up}");
        assert!(stored(&s, &h).await, "round {i}: {gc:?}");
        assert_eq!(refs(&s, &h).await, Some(1));
        assert_consistent(&s).await;
    }
}

/// fsck finds what is wrong: a missing blob, a blob with other bytes, a count that differs
/// from the references; `repair` fixes counts (and only counts).
#[tokio::test]
async fn fsck_finds_missing_and_corrupt_blobs_and_wrong_counts() {
    let s = TestServer::start().await;
    alice(&s).await;
    let c = s.login(2).await;
    let (x, y, z) = (bytes(9000, 31), bytes(9000, 32), bytes(100, 33));
    for (n, d) in [("x", &x), ("y", &y), ("z", &z)] {
        upload_ok(&s, &c, &[], raw(n, d)).await;
    }
    assert_consistent(&s).await;
    let path = |d: &[u8]| {
        s.core
            .blobs()
            .unit_spool_dir()
            .unwrap()
            .parent()
            .unwrap()
            .join("blobs")
            .join(&sha(d)[0..2])
            .join(sha(d))
    };
    // x's blob vanishes; y's bytes change (same size); z's count is wrong.
    std::fs::remove_file(path(&x)).unwrap();
    let mut other = y.clone();
    other[0] ^= 1;
    std::fs::write(path(&y), &other).unwrap();
    hearth_store::gc::set_refs(s.core.db(), &sha(&z), 5)
        .await
        .unwrap();

    let quick = s.core.fsck(false, false).await.unwrap();
    assert_eq!(quick.missing_blobs, vec![sha(&x)]);
    assert!(
        quick.corrupt.is_empty(),
        "bytes are only read with verify_hashes"
    );
    assert_eq!(quick.wrong_counts, vec![(sha(&z), 5, 1)]);
    let full = s.core.fsck(true, false).await.unwrap();
    assert_eq!(full.corrupt, vec![sha(&y)]);
    assert_eq!(full.problems().len(), 3);

    let repaired = s.core.fsck(false, true).await.unwrap();
    assert_eq!(repaired.repaired, 1);
    let after = s.core.fsck(false, false).await.unwrap();
    assert!(after.wrong_counts.is_empty());
    assert_eq!(
        after.missing_blobs,
        vec![sha(&x)],
        "a repair never invents bytes"
    );
}
