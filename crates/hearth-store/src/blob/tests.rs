//! Blob store tests, including a simulated power cut.

use tokio::io::AsyncReadExt as _;

use super::sim::SimFs;
use super::*;

async fn read_all(store: &dyn BlobStore, id: &BlobId) -> Vec<u8> {
    let mut f = store.open(id).await.unwrap();
    let mut out = Vec::new();
    f.read_to_end(&mut out).await.unwrap();
    out
}

fn tmp_entries(root: &Path) -> usize {
    std::fs::read_dir(root.join("tmp")).unwrap().count()
}

#[test]
fn blob_id_hex_roundtrip() {
    let id = BlobId::of(b"abc");
    assert_eq!(
        id.to_string(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(BlobId::parse(&id.to_string()).unwrap(), id);
    assert_eq!(id.to_string().to_uppercase().parse::<BlobId>().unwrap(), id);
    assert!(BlobId::parse("abc").is_err());
    assert!(BlobId::parse(&"g".repeat(64)).is_err());
}

#[tokio::test]
async fn write_read_len_exists_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    // Several chunks, one over the flush threshold.
    let data: Vec<u8> = (0..(FLUSH_AT * 2 + 123)).map(|i| (i % 251) as u8).collect();
    let mut w = store.begin_write().await.unwrap();
    w.write(&data[..10]).await.unwrap();
    w.write(&data[10..FLUSH_AT + 20]).await.unwrap();
    w.write(&data[FLUSH_AT + 20..]).await.unwrap();
    assert_eq!(w.written(), data.len() as u64);
    let id = w
        .finish(Some(BlobId::of(&data).0), Some(data.len() as u64))
        .await
        .unwrap();
    assert_eq!(id, BlobId::of(&data));
    let hex = id.to_hex();
    assert!(dir
        .path()
        .join("blobs")
        .join(&hex[..2])
        .join(&hex[2..4])
        .join(&hex)
        .is_file());
    assert!(store.exists(&id).await.unwrap());
    assert_eq!(store.len(&id).await.unwrap(), data.len() as u64);
    assert_eq!(read_all(&store, &id).await, data);
    assert_eq!(tmp_entries(dir.path()), 0);

    assert!(store.delete(&id).await.unwrap());
    assert!(!store.delete(&id).await.unwrap());
    assert!(!store.exists(&id).await.unwrap());
    assert!(matches!(store.len(&id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.open(&id).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn empty_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    let id = put_bytes(&store, b"").await.unwrap();
    assert_eq!(id, BlobId::of(b""));
    assert_eq!(store.len(&id).await.unwrap(), 0);
}

#[tokio::test]
async fn mismatch_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();

    let mut w = store.begin_write().await.unwrap();
    w.write(b"hello").await.unwrap();
    let err = w.finish(Some(BlobId::of(b"other").0), None).await;
    assert!(matches!(err, Err(StoreError::Mismatch(_))), "{err:?}");

    let mut w = store.begin_write().await.unwrap();
    w.write(b"hello").await.unwrap();
    let err = w.finish(None, Some(6)).await;
    assert!(matches!(err, Err(StoreError::Mismatch(_))), "{err:?}");

    assert!(!store.exists(&BlobId::of(b"hello")).await.unwrap());
    assert_eq!(tmp_entries(dir.path()), 0);
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs")).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn same_content_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    let a = put_bytes(&store, b"same").await.unwrap();
    let b = put_bytes(&store, b"same").await.unwrap();
    assert_eq!(a, b);
    assert_eq!(tmp_entries(dir.path()), 0);
    let hex = a.to_hex();
    let leaf = dir.path().join("blobs").join(&hex[..2]).join(&hex[2..4]);
    assert_eq!(std::fs::read_dir(leaf).unwrap().count(), 1);
}

#[tokio::test]
async fn abandoned_writer_removes_its_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    let mut w = store.begin_write().await.unwrap();
    w.write(b"partial").await.unwrap();
    assert_eq!(tmp_entries(dir.path()), 1);
    drop(w);
    assert_eq!(tmp_entries(dir.path()), 0);
}

#[tokio::test]
async fn stale_temp_files_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    std::fs::write(dir.path().join("tmp").join("leftover"), b"x").unwrap();
    assert_eq!(
        store
            .remove_stale_temp(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.remove_stale_temp(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(tmp_entries(dir.path()), 0);
}

/// Writes a blob through a store on `SimFs`, cuts the power, and reports what a fresh store
/// on the same directory then holds for it.
async fn write_then_cut(
    honour_file_sync: bool,
    honour_dir_sync: bool,
) -> (Option<Vec<u8>>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    let fs = SimFs::new(&root, honour_file_sync, honour_dir_sync);
    let store = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let id = put_bytes(&store, &data).await.unwrap();

    // The implementation synced the blob file and the three directories above it.
    {
        let m = fs.model.lock().unwrap();
        assert_eq!(m.synced_files.len(), 1);
        let leaf = store.path_of(&id).parent().unwrap().to_path_buf();
        for d in [leaf.clone(), SimFs::parent(&leaf), root.join("blobs")] {
            assert!(m.synced_dirs.contains(&d), "{} not synced", d.display());
        }
    }

    fs.power_cut();
    let after = LocalBlobStore::new(&root).unwrap();
    let content = if after.exists(&id).await.unwrap() {
        Some(read_all(&after, &id).await)
    } else {
        None
    };
    (content, data)
}

#[tokio::test]
async fn finished_blob_survives_power_cut() {
    let (content, data) = write_then_cut(true, true).await;
    let content = content.expect("blob lost in the power cut");
    assert_eq!(BlobId::of(&content), BlobId::of(&data));
}

/// Controls: the simulation really drops what was not synced, so the test above can fail.
#[tokio::test]
async fn power_cut_drops_unsynced_file_content() {
    let (content, data) = write_then_cut(false, true).await;
    let content = content.expect("entry was synced");
    assert_ne!(content, data);
    assert!(content.is_empty());
}

#[tokio::test]
async fn power_cut_drops_unsynced_directory_entries() {
    let (content, _) = write_then_cut(true, false).await;
    assert!(content.is_none());
}

#[tokio::test]
async fn unfinished_blob_does_not_survive_power_cut() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let fs = SimFs::new(&root, true, true);
    let store = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    let mut w = store.begin_write().await.unwrap();
    w.write(b"in flight").await.unwrap();
    fs.power_cut();
    drop(w);
    assert_eq!(tmp_entries(&root), 0);
    assert!(!store.exists(&BlobId::of(b"in flight")).await.unwrap());
}

/// Content (`label` and a number) whose id starts with the same two bytes as `id`: the same
/// shard `ab/cd`.
fn same_shard_as(id: &BlobId, label: &str) -> Vec<u8> {
    (0u32..)
        .map(|i| format!("{label} {i}").into_bytes())
        .find(|d| BlobId::of(d).0[..2] == id.0[..2])
        .unwrap()
}

#[tokio::test]
async fn a_known_shard_needs_only_its_leaf_synced_and_survives_a_power_cut() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let fs = SimFs::new(&root, true, true);
    let store = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    let a = put_bytes(&store, b"first in the shard").await.unwrap();
    let b_data = same_shard_as(&a, "second");
    let leaf = store.path_of(&a).parent().unwrap().to_path_buf();
    fs.model.lock().unwrap().synced_dirs.clear();
    let b = put_bytes(&store, &b_data).await.unwrap();
    // This store synced the shard's parents for `a`: only the leaf is synced for `b`.
    assert_eq!(fs.model.lock().unwrap().synced_dirs, vec![leaf.clone()]);

    // A new store (a restart) knows nothing: it syncs the parents again.
    let c_data = same_shard_as(&a, "third");
    let again = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    fs.model.lock().unwrap().synced_dirs.clear();
    let c = put_bytes(&again, &c_data).await.unwrap();
    let synced = fs.model.lock().unwrap().synced_dirs.clone();
    assert_eq!(
        synced,
        vec![leaf.clone(), SimFs::parent(&leaf), root.join("blobs")]
    );

    fs.power_cut();
    let after = LocalBlobStore::new(&root).unwrap();
    for (id, data) in [
        (a, b"first in the shard".to_vec()),
        (b, b_data),
        (c, c_data),
    ] {
        assert_eq!(
            read_all(&after, &id).await,
            data,
            "{id} after the power cut"
        );
    }
}

#[tokio::test]
async fn pieces_of_any_size_are_written_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    let data: Vec<u8> = (0..(FLUSH_AT * 5 + 777))
        .map(|i| (i * 31 % 253) as u8)
        .collect();
    let mut w = store.begin_write().await.unwrap();
    let sizes = [1, FLUSH_AT - 1, 3, FLUSH_AT * 2 + 5, 70_000, 17];
    let mut at = 0;
    for n in sizes.iter().cycle() {
        if at == data.len() {
            break;
        }
        let end = (at + n).min(data.len());
        w.write(&data[at..end]).await.unwrap();
        at = end;
    }
    let id = w
        .finish(Some(BlobId::of(&data).0), Some(data.len() as u64))
        .await
        .unwrap();
    assert_eq!(read_all(&store, &id).await, data);
    assert_eq!(tmp_entries(dir.path()), 0);
}
