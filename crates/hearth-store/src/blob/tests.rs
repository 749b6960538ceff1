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
    let shard = dir.path().join("blobs").join(&hex[..2]);
    assert_eq!(std::fs::read_dir(shard).unwrap().count(), 1);
}

#[tokio::test]
async fn abandoned_writer_removes_its_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path()).unwrap();
    // A small blob never reaches the disk before `finish`.
    let mut w = store.begin_write().await.unwrap();
    w.write(b"partial").await.unwrap();
    assert_eq!(tmp_entries(dir.path()), 0);
    drop(w);
    // A large one is written while it arrives; dropped while a piece is still being written,
    // the file is removed once that piece is done.
    let mut w = store.begin_write().await.unwrap();
    w.write(&vec![7u8; FLUSH_AT + 1]).await.unwrap();
    w.write(&vec![7u8; FLUSH_AT + 1]).await.unwrap();
    assert_eq!(tmp_entries(dir.path()), 1);
    drop(w);
    for _ in 0..200 {
        if tmp_entries(dir.path()) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
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

    // The implementation synced the blob file and the two directories above it.
    {
        let m = fs.model.lock().unwrap();
        assert_eq!(m.synced_files.len(), 1);
        let shard = store.path_of(&id).parent().unwrap().to_path_buf();
        for d in [shard, root.join("blobs")] {
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

/// Content (`label` and a number) whose id starts with the same byte as `id`: the same shard
/// `ab`.
fn same_shard_as(id: &BlobId, label: &str) -> Vec<u8> {
    (0u32..)
        .map(|i| format!("{label} {i}").into_bytes())
        .find(|d| BlobId::of(d).0[0] == id.0[0])
        .unwrap()
}

#[tokio::test]
async fn a_known_shard_is_the_only_directory_synced_and_survives_a_power_cut() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let fs = SimFs::new(&root, true, true);
    let store = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    fs.model.lock().unwrap().synced_dirs.clear();
    let a = put_bytes(&store, b"first in the shard").await.unwrap();
    let shard = store.path_of(&a).parent().unwrap().to_path_buf();
    // A new shard: the shard, then its entry in `blobs`.
    assert_eq!(
        fs.model.lock().unwrap().synced_dirs,
        vec![shard.clone(), root.join("blobs")]
    );
    let b_data = same_shard_as(&a, "second");
    fs.model.lock().unwrap().synced_dirs.clear();
    let b = put_bytes(&store, &b_data).await.unwrap();
    // This store synced `blobs` for `a`: only the shard is synced for `b`.
    assert_eq!(fs.model.lock().unwrap().synced_dirs, vec![shard.clone()]);

    // A new store (a restart) knows nothing: it syncs `blobs` again.
    let c_data = same_shard_as(&a, "third");
    let again = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    fs.model.lock().unwrap().synced_dirs.clear();
    let c = put_bytes(&again, &c_data).await.unwrap();
    let synced = fs.model.lock().unwrap().synced_dirs.clone();
    assert_eq!(synced, vec![shard.clone(), root.join("blobs")]);

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

// ---------------------------------------------------------------------------------------------
// The old two-level layout

/// Contents for a store in the old layout: two shards, one with two leaves, one leaf with two
/// blobs.
fn old_layout_contents() -> Vec<Vec<u8>> {
    let first = b"old 0".to_vec();
    let id = BlobId::of(&first);
    let same_leaf = (0u32..)
        .map(|i| format!("old same leaf {i}").into_bytes())
        .find(|d| BlobId::of(d).0[..2] == id.0[..2])
        .unwrap();
    let other_leaf = (0u32..)
        .map(|i| format!("old other leaf {i}").into_bytes())
        .find(|d| BlobId::of(d).0[0] == id.0[0] && BlobId::of(d).0[1] != id.0[1])
        .unwrap();
    let other_shard = (0u32..)
        .map(|i| format!("old other shard {i}").into_bytes())
        .find(|d| BlobId::of(d).0[0] != id.0[0])
        .unwrap();
    vec![first, same_leaf, other_leaf, other_shard, Vec::new()]
}

/// Lays a store out the old way through `fs`, durably: every blob at `blobs/ab/cd/<hex>`, and
/// `also_new` (an index into `contents`) at `blobs/ab/<hex>` too, as a move cut short leaves it.
fn write_old_layout(fs: &dyn Fs, root: &Path, contents: &[Vec<u8>], also_new: usize) {
    let blobs = root.join("blobs");
    for d in [blobs.clone(), root.join("tmp")] {
        fs.create_dir(&d).unwrap();
    }
    fs.sync_dir(root).unwrap();
    let put = |dir: &Path, data: &[u8]| {
        let mut f = fs.create_new(&dir.join(BlobId::of(data).to_hex())).unwrap();
        f.write_all(data).unwrap();
        f.sync_all().unwrap();
        fs.sync_dir(dir).unwrap();
    };
    for (i, data) in contents.iter().enumerate() {
        let hex = BlobId::of(data).to_hex();
        let (shard, leaf) = (
            blobs.join(&hex[..2]),
            blobs.join(&hex[..2]).join(&hex[2..4]),
        );
        if fs.create_dir(&shard).unwrap() {
            fs.sync_dir(&blobs).unwrap();
        }
        if fs.create_dir(&leaf).unwrap() {
            fs.sync_dir(&shard).unwrap();
        }
        put(&leaf, data);
        if i == also_new {
            put(&shard, data);
        }
    }
}

/// Every path under `root`, relative, sorted.
fn tree(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The store in `root` holds exactly `contents`, each readable, in the one-level layout.
async fn assert_one_level_with(root: &Path, contents: &[Vec<u8>]) {
    let store = LocalBlobStore::new(root).unwrap();
    for data in contents {
        let id = BlobId::of(data);
        assert!(store.exists(&id).await.unwrap(), "{id} missing");
        assert_eq!(&read_all(&store, &id).await, data, "{id}");
        assert!(store.path_of(&id).is_file());
    }
    let mut listed = store.list().await.unwrap();
    listed.sort();
    let mut want: Vec<(BlobId, u64)> = contents
        .iter()
        .map(|d| (BlobId::of(d), d.len() as u64))
        .collect();
    want.sort();
    assert_eq!(listed, want);
    for shard in std::fs::read_dir(root.join("blobs")).unwrap() {
        for e in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let e = e.unwrap();
            assert!(e.file_type().unwrap().is_file(), "{:?} left", e.path());
        }
    }
}

#[tokio::test]
async fn a_store_in_the_two_level_layout_is_moved_to_one_level_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let contents = old_layout_contents();
    write_old_layout(&RealFs, &root, &contents, 1);
    assert!(tree(&root).len() > contents.len() * 2);

    assert_one_level_with(&root, &contents).await;

    // Opening again changes nothing and syncs nothing.
    let before = tree(&root);
    let fs = SimFs::new(&root, true, true);
    let again = LocalBlobStore::with_fs(root.clone(), fs.clone()).unwrap();
    assert!(fs.model.lock().unwrap().synced_dirs.is_empty());
    assert_eq!(tree(&root), before);
    assert_eq!(again.list().await.unwrap().len(), contents.len());
}

/// A power cut at any point of the move loses nothing: the next open finishes it.
#[tokio::test]
async fn a_move_cut_short_by_a_power_cut_is_finished_at_the_next_open() {
    /// `SimFs` whose operations fail from the `left`-th on: the power is cut there.
    struct CutAfter {
        sim: Arc<SimFs>,
        left: AtomicU64,
    }
    impl CutAfter {
        fn tick(&self) -> io::Result<()> {
            self.left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .map(|_| ())
                .map_err(|_| io::Error::other("power cut"))
        }
    }
    impl Fs for CutAfter {
        fn create_dir(&self, path: &Path) -> io::Result<bool> {
            self.tick()?;
            self.sim.create_dir(path)
        }
        fn create_new(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
            self.tick()?;
            self.sim.create_new(path)
        }
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            self.tick()?;
            self.sim.rename(from, to)
        }
        fn remove_file(&self, path: &Path) -> io::Result<bool> {
            self.tick()?;
            self.sim.remove_file(path)
        }
        fn sync_dir(&self, path: &Path) -> io::Result<()> {
            self.tick()?;
            self.sim.sync_dir(path)
        }
    }

    let contents = old_layout_contents();
    for ops in 0u64.. {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let sim = SimFs::new(&root, true, true);
        write_old_layout(&*sim, &root, &contents, 2);
        let cut = Arc::new(CutAfter {
            sim: sim.clone(),
            left: AtomicU64::new(ops),
        });
        let finished = LocalBlobStore::with_fs(root.clone(), cut).is_ok();
        sim.power_cut();
        assert_one_level_with(&root, &contents).await;
        if finished {
            assert!(ops > 8, "the move took only {ops} operations");
            break;
        }
    }
}
