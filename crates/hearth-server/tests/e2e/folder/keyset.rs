//! folder/get_content keyset paging: a chunk fetched right after the previous one continues from
//! that chunk's last row and answers exactly what a cold (OFFSET) fetch of it answers, in every
//! order both ways; a change that stamps the folder (insert, rename) drops the cursor.

use hearth_client::Client;
use hearth_core::sessions::Caller;
use hearth_core::tree::{OnDuplicate, Target};
use serde_json::Value;

use super::{bob, folder_revision, names, Alice};
use crate::harness::TestServer;

const ORDERS: [&str; 4] = ["name", "created", "size", "downloads"];

/// Names that sort differently bytewise than by any locale or case-folding rule.
const PREFIXES: [&str; 8] = ["a", "B", "z", "Ä", "_", "1", "é", "Zz"];

/// A file added through the core with a made-up content hash (no blob is needed to list it).
async fn add(s: &TestServer, a: &Alice, folder: &str, name: &str, i: usize) -> String {
    // 40 distinct contents (sizes with ties across names), stored for real: a file is only
    // ever added for content whose bytes are in the blob store.
    let h = (i * 13) % 40;
    let data = vec![h as u8; h * 100];
    let id = hearth_store::blob::put_bytes(&**s.core.blobs(), &data)
        .await
        .unwrap();
    let (f, _) = s
        .core
        .add_file(
            a.uid,
            Target::Key(folder),
            name,
            &id.to_hex(),
            data.len() as i64,
            OnDuplicate::Allow,
            None,
        )
        .await
        .unwrap();
    f.quickkey
}

/// `n` files with mixed names (a few the same), sizes with ties, in a new folder.
async fn folder_of_files(s: &TestServer, a: &Alice, name: &str, n: usize) -> String {
    let (key, _) = a.mk(name, None).await;
    for i in 0..n {
        let name = if i % 50 == 7 {
            "same name.txt".to_string()
        } else {
            format!(
                "{}{:03}.txt",
                PREFIXES[i % PREFIXES.len()],
                (i * 919) % 1000
            )
        };
        add(s, a, &key, &name, i).await;
    }
    key
}

/// One chunk: (item keys, more_chunks).
#[allow(clippy::too_many_arguments)]
async fn chunk(
    c: &Client,
    folder: &str,
    files: bool,
    order: &str,
    dir: &str,
    filter: &str,
    size: usize,
    n: usize,
) -> (Vec<String>, String) {
    let (kind, key) = if files {
        ("files", "quickkey")
    } else {
        ("folders", "folderkey")
    };
    let (size, n) = (size.to_string(), n.to_string());
    let v: Value = c
        .call(
            "folder/get_content",
            &[
                ("folder_key", folder),
                ("content_type", kind),
                ("order_by", order),
                ("order_direction", dir),
                ("filter", filter),
                ("chunk_size", &size),
                ("chunk", &n),
            ],
        )
        .await
        .unwrap();
    let fc = &v["response"]["folder_content"];
    (
        names(&fc[kind], key),
        fc["more_chunks"].as_str().unwrap().to_string(),
    )
}

/// Pages through a listing twice: first every chunk cold (last chunk first, so no chunk has a
/// cursor from the one before), then in order (each chunk continues from the previous one's
/// cursor); both passes must agree chunk by chunk and cover `total` items exactly once.
#[allow(clippy::too_many_arguments)]
async fn walk_matches_cold(
    c: &Client,
    folder: &str,
    files: bool,
    order: &str,
    dir: &str,
    filter: &str,
    size: usize,
    total: usize,
) {
    let chunks = total.div_ceil(size) + 1;
    let mut cold = Vec::new();
    for n in (1..=chunks).rev() {
        cold.push(chunk(c, folder, files, order, dir, filter, size, n).await);
    }
    cold.reverse();
    let mut all = Vec::new();
    for n in 1..=chunks {
        let warm = chunk(c, folder, files, order, dir, filter, size, n).await;
        assert_eq!(
            warm,
            cold[n - 1],
            "{order} {dir} filter={filter} files={files}: chunk {n} differs from a cold fetch"
        );
        all.extend(warm.0);
    }
    assert_eq!(cold[chunks - 2].1, "no", "the last chunk says so");
    assert!(cold[chunks - 1].0.is_empty(), "past the end: empty");
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(all.len(), total, "{order} {dir}: every item once");
    assert_eq!(unique.len(), total, "{order} {dir}: no item twice");
}

#[tokio::test]
async fn keyset_chunks_equal_cold_chunks_in_every_order() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let big = folder_of_files(&s, &a, "Big", 260).await;
    let owner = Caller::owner(a.uid);
    for i in 0..110 {
        let name = format!("{}{:03}", PREFIXES[i % PREFIXES.len()], (i * 919) % 1000);
        s.core
            .create_folder(
                &owner,
                Target::Key(&big),
                Some(&name),
                OnDuplicate::Allow,
                None,
            )
            .await
            .unwrap();
    }
    for order in ORDERS {
        for dir in ["asc", "desc"] {
            walk_matches_cold(&a.c, &big, true, order, dir, "all", 23, 260).await;
            walk_matches_cold(&a.c, &big, false, order, dir, "all", 17, 110).await;
        }
    }
    // A filter, and another caller's view of a public folder (public files only).
    let mut public = 0;
    let v =
        a.c.call(
            "folder/get_content",
            &[
                ("folder_key", &big),
                ("content_type", "files"),
                ("chunk_size", "1000"),
            ],
        )
        .await
        .unwrap();
    for (i, k) in names(&v["response"]["folder_content"]["files"], "quickkey")
        .iter()
        .enumerate()
    {
        if i % 3 == 0 {
            a.publish_file(&s, k).await;
            public += 1;
        }
    }
    walk_matches_cold(&a.c, &big, true, "name", "asc", "private", 23, 260 - public).await;
    walk_matches_cold(&a.c, &big, true, "size", "desc", "public", 23, public).await;
    a.c.call(
        "folder/update",
        &[("folder_key", &big), ("privacy", "public")],
    )
    .await
    .unwrap();
    let b = bob(&s).await;
    for order in ORDERS {
        walk_matches_cold(&b, &big, true, order, "desc", "all", 11, public).await;
    }
}

/// All items of a listing in one cold chunk.
async fn full(c: &Client, folder: &str) -> Vec<String> {
    let (items, more) = chunk(c, folder, true, "name", "asc", "all", 1000, 1).await;
    assert_eq!(more, "no");
    items
}

#[tokio::test]
async fn an_insert_or_rename_between_chunks_drops_the_cursor() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let f = folder_of_files(&s, &a, "Walk", 60).await;
    let walk = |n: usize| chunk(&a.c, &f, true, "name", "asc", "all", 10, n);
    let before = full(&a.c, &f).await;
    assert_eq!(walk(1).await.0, before[0..10]);
    assert_eq!(walk(2).await.0, before[10..20]);

    // A new file that sorts first shifts every later chunk by one.
    let rev = folder_revision(&a.c, &f).await;
    add(&s, &a, &f, "!first.txt", 0).await;
    assert!(
        folder_revision(&a.c, &f).await > rev,
        "an insert stamps the folder"
    );
    let after = full(&a.c, &f).await;
    assert_ne!(after[20..30], before[20..30]);
    assert_eq!(walk(3).await.0, after[20..30], "not the stale continuation");
    assert_eq!(walk(4).await.0, after[30..40]);

    // Renaming an item of an earlier chunk to sort last shifts the later ones back.
    a.c.call(
        "file/update",
        &[("quick_key", &after[0]), ("filename", "~last.txt")],
    )
    .await
    .unwrap();
    let renamed = full(&a.c, &f).await;
    assert_ne!(renamed[40..50], after[40..50]);
    assert_eq!(
        walk(5).await.0,
        renamed[40..50],
        "not the stale continuation"
    );
    assert_eq!(walk(6).await.0, renamed[50..60]);
    assert_eq!(walk(7).await, (vec![renamed[60].clone()], "no".to_string()));
}

/// The cursor is really used: a change that does not stamp the folder (a file's privacy) does
/// not reset a walk, which continues after the last row it returned — nothing is skipped —
/// where a cold OFFSET fetch would skip one item.
#[tokio::test]
async fn a_walk_continues_after_its_last_row() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let f = folder_of_files(&s, &a, "Private", 30).await;
    let walk = |n: usize| chunk(&a.c, &f, true, "name", "asc", "private", 10, n);
    let before = full(&a.c, &f).await;
    assert_eq!(walk(1).await.0, before[0..10]);
    let rev = folder_revision(&a.c, &f).await;
    a.publish_file(&s, &before[0]).await;
    assert_eq!(
        folder_revision(&a.c, &f).await,
        rev,
        "a privacy change is not stamped"
    );
    assert_eq!(
        walk(2).await.0,
        before[10..20],
        "continues after chunk 1's last row"
    );
    assert_eq!(walk(3).await.0, before[20..30]);
    // Cold (no cursor at this chunk size): OFFSET 10 of what is private now skips before[10].
    let cold = chunk(&a.c, &f, true, "name", "asc", "private", 5, 3).await;
    assert_eq!(cold.0, before[11..16]);
}
