//! Blob store tests, including a simulated power cut.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::io::AsyncReadExt as _;

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

// ---------------------------------------------------------------------------------------------
// Power-cut simulation
//
// `SimFs` performs every operation on the real disk and keeps a model of what a crash-safe
// file system guarantees: a file's content is durable only up to its last `sync_all`; a
// directory entry (created, renamed in or out, removed) is durable only once its parent
// directory is synced. `power_cut` rewrites the directory tree to the durable state: entries
// whose parent was not synced vanish (or reappear, for removals), files keep only their synced
// content (an unsynced file is empty).

#[derive(Clone, Copy, Debug, PartialEq)]
enum Node {
    Dir,
    File(usize),
}

#[derive(Debug)]
enum Op {
    Put(PathBuf, Node),
    Remove(PathBuf),
}

#[derive(Default)]
struct Model {
    /// Current and synced content of each inode.
    inodes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    current: BTreeMap<PathBuf, Node>,
    durable: BTreeMap<PathBuf, Node>,
    /// Entry changes not yet durable: (parent directory, change).
    pending: Vec<(PathBuf, Op)>,
    /// Log of fsyncs, for assertions.
    synced_files: Vec<PathBuf>,
    synced_dirs: Vec<PathBuf>,
}

struct SimFs {
    root: PathBuf,
    model: Arc<Mutex<Model>>,
    honour_file_sync: bool,
    honour_dir_sync: bool,
}

impl SimFs {
    fn new(root: &Path, honour_file_sync: bool, honour_dir_sync: bool) -> Arc<SimFs> {
        let mut m = Model::default();
        m.current.insert(root.to_path_buf(), Node::Dir);
        m.durable.insert(root.to_path_buf(), Node::Dir);
        Arc::new(SimFs {
            root: root.to_path_buf(),
            model: Arc::new(Mutex::new(m)),
            honour_file_sync,
            honour_dir_sync,
        })
    }

    fn parent(p: &Path) -> PathBuf {
        p.parent().unwrap().to_path_buf()
    }

    /// Cuts the power: makes the disk under `root` hold only what was durable.
    fn power_cut(&self) {
        let m = self.model.lock().unwrap();
        // An entry survives if it and every ancestor up to the root are durable.
        let survives = |p: &Path| {
            let mut cur = p.to_path_buf();
            loop {
                if !m.durable.contains_key(&cur) {
                    return false;
                }
                if cur == self.root {
                    return true;
                }
                cur = Self::parent(&cur);
            }
        };
        let survivors: Vec<(PathBuf, Node)> = m
            .durable
            .iter()
            .filter(|(p, _)| survives(p))
            .map(|(p, n)| (p.clone(), *n))
            .collect();
        for entry in std::fs::read_dir(&self.root).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                std::fs::remove_dir_all(p).unwrap();
            } else {
                std::fs::remove_file(p).unwrap();
            }
        }
        for (p, n) in survivors {
            match n {
                Node::Dir => std::fs::create_dir_all(&p).unwrap(),
                Node::File(ino) => {
                    let data = m.inodes[ino].1.clone().unwrap_or_default();
                    std::fs::write(&p, data).unwrap();
                }
            }
        }
    }
}

impl Fs for SimFs {
    fn create_dir(&self, path: &Path) -> io::Result<bool> {
        let created = RealFs.create_dir(path)?;
        if created {
            let mut m = self.model.lock().unwrap();
            m.current.insert(path.to_path_buf(), Node::Dir);
            m.pending
                .push((Self::parent(path), Op::Put(path.to_path_buf(), Node::Dir)));
        }
        Ok(created)
    }

    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        let mut m = self.model.lock().unwrap();
        let ino = m.inodes.len();
        m.inodes.push((Vec::new(), None));
        m.current.insert(path.to_path_buf(), Node::File(ino));
        m.pending.push((
            Self::parent(path),
            Op::Put(path.to_path_buf(), Node::File(ino)),
        ));
        Ok(Box::new(SimFile {
            file: f,
            ino,
            path: path.to_path_buf(),
            model: self.model.clone(),
            honour_sync: self.honour_file_sync,
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)?;
        let mut m = self.model.lock().unwrap();
        let node = m.current.remove(from).expect("renamed file is modelled");
        m.current.insert(to.to_path_buf(), node);
        m.pending
            .push((Self::parent(from), Op::Remove(from.to_path_buf())));
        m.pending
            .push((Self::parent(to), Op::Put(to.to_path_buf(), node)));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<bool> {
        let removed = RealFs.remove_file(path)?;
        if removed {
            let mut m = self.model.lock().unwrap();
            m.current.remove(path);
            m.pending
                .push((Self::parent(path), Op::Remove(path.to_path_buf())));
        }
        Ok(removed)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        RealFs.sync_dir(path)?;
        let mut m = self.model.lock().unwrap();
        m.synced_dirs.push(path.to_path_buf());
        if !self.honour_dir_sync {
            return Ok(());
        }
        let pending = std::mem::take(&mut m.pending);
        for (dir, op) in pending {
            if dir != path {
                m.pending.push((dir, op));
                continue;
            }
            match op {
                Op::Put(p, n) => {
                    m.durable.insert(p, n);
                }
                Op::Remove(p) => {
                    m.durable.remove(&p);
                }
            }
        }
        Ok(())
    }
}

struct SimFile {
    file: std::fs::File,
    ino: usize,
    path: PathBuf,
    model: Arc<Mutex<Model>>,
    honour_sync: bool,
}

impl FsFile for SimFile {
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)?;
        self.model.lock().unwrap().inodes[self.ino]
            .0
            .extend_from_slice(data);
        Ok(())
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.file.sync_all()?;
        let mut m = self.model.lock().unwrap();
        m.synced_files.push(self.path.clone());
        if self.honour_sync {
            let data = m.inodes[self.ino].0.clone();
            m.inodes[self.ino].1 = Some(data);
        }
        Ok(())
    }
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
