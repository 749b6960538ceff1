//! Content-addressed blob storage.
//!
//! A blob is named by the SHA-256 of its bytes ([`BlobId`]). Writing one ([`BlobWriter`])
//! streams into a temp file under `DIR/tmp/` while hashing, then on [`BlobWriter::finish`]:
//! fsync the file → verify hash and size (a mismatch removes the temp and stores nothing) →
//! rename into `DIR/blobs/ab/cd/<hex>` → fsync `cd`, `ab` and `blobs` (a rename or a new
//! directory is durable only once its parent directory is synced). Only after `finish` returns
//! may the caller commit metadata referring to the blob. An existing blob with the same id is
//! kept and the temp dropped (dedup).
//!
//! File-system calls that matter for durability go through the small internal [`Fs`] trait so
//! a test double can record fsyncs and simulate a power cut that drops unsynced writes.

use std::fmt;
use std::future::Future;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Context as _};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// A boxed `Send` future (keeps [`BlobStore`] object-safe without `async_trait`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The SHA-256 of a blob's content; displayed and parsed as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    /// The id of `data`.
    pub fn of(data: &[u8]) -> BlobId {
        BlobId(Sha256::digest(data).into())
    }

    /// Parses 64 hex digits (either case).
    pub fn parse(s: &str) -> Result<BlobId> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|e| StoreError::Other(anyhow!("invalid blob id {s:?}: {e}")))?;
        Ok(BlobId(out))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

impl FromStr for BlobId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<BlobId> {
        BlobId::parse(s)
    }
}

/// Where blob bytes live. Implementations: [`LocalBlobStore`] (S3-compatible storage later).
pub trait BlobStore: Send + Sync {
    /// Starts writing a new blob.
    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn BlobWriter>>>;
    /// Opens a blob for reading (and seeking, for ranges). Missing: [`StoreError::NotFound`].
    fn open(&self, id: &BlobId) -> BoxFuture<'_, Result<tokio::fs::File>>;
    /// Whether the blob is stored.
    fn exists(&self, id: &BlobId) -> BoxFuture<'_, Result<bool>>;
    /// The blob's size in bytes. Missing: [`StoreError::NotFound`].
    fn len(&self, id: &BlobId) -> BoxFuture<'_, Result<u64>>;
    /// Removes the blob; returns whether it existed. Only tests and repairs call this.
    fn delete(&self, id: &BlobId) -> BoxFuture<'_, Result<bool>>;
    /// The garbage collector's removal: takes the blob out of its place atomically, and puts
    /// it back if it was written after `fresh_after` (an upload of the same content may be
    /// about to reference it); otherwise removes it. The caller holds the transaction that
    /// deleted the content's row and commits only on [`Removal::Removed`] or `Missing`.
    fn remove_unless_fresh(
        &self,
        id: &BlobId,
        fresh_after: SystemTime,
    ) -> BoxFuture<'_, Result<Removal>>;
    /// Every stored blob and its size (for `hearth admin fsck`).
    fn list(&self) -> BoxFuture<'_, Result<Vec<(BlobId, u64)>>>;
    /// A local directory for the units of resumable uploads (spooled until assembly), on the
    /// same disk as the store; `None` when the store has no local directory.
    fn unit_spool_dir(&self) -> Option<PathBuf> {
        None
    }
}

/// What [`BlobStore::remove_unless_fresh`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// Nothing was stored under that id.
    Missing,
    /// Written after the cut-off: left in place.
    Fresh,
}

/// A blob being written. Dropping it without [`BlobWriter::finish`] removes the temp file.
pub trait BlobWriter: Send {
    /// Appends bytes.
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<()>>;
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Makes the blob durable and returns its id. `expected` / `expected_size`: if given and
    /// different from what was written, fails with [`StoreError::Mismatch`] and stores nothing.
    fn finish(
        self: Box<Self>,
        expected: Option<[u8; 32]>,
        expected_size: Option<u64>,
    ) -> BoxFuture<'static, Result<BlobId>>;
}

/// Stores `data` as one blob.
pub async fn put_bytes(store: &dyn BlobStore, data: &[u8]) -> Result<BlobId> {
    let mut w = store.begin_write().await?;
    w.write(data).await?;
    w.finish(None, None).await
}

// ---------------------------------------------------------------------------------------------
// File-system seam

/// The durability-relevant file-system operations (blocking; called from `spawn_blocking`).
pub(crate) trait Fs: Send + Sync + 'static {
    /// Creates a directory; `Ok(false)` if it already exists.
    fn create_dir(&self, path: &Path) -> io::Result<bool>;
    /// Creates a new file for writing; fails if it exists.
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FsFile>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file; `Ok(false)` if it did not exist.
    fn remove_file(&self, path: &Path) -> io::Result<bool>;
    /// fsyncs a directory, making entry changes in it durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
}

/// A file being written.
pub(crate) trait FsFile: Send {
    fn write_all(&mut self, data: &[u8]) -> io::Result<()>;
    /// fsync: the file's content is durable.
    fn sync_all(&mut self) -> io::Result<()>;
}

/// The real file system.
struct RealFs;

impl Fs for RealFs {
    fn create_dir(&self, path: &Path) -> io::Result<bool> {
        match std::fs::create_dir(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        Ok(Box::new(RealFile(f)))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<bool> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::File::open(path)?.sync_all()
    }
}

struct RealFile(std::fs::File);

impl FsFile for RealFile {
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.write_all(data)
    }
    fn sync_all(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }
}

// ---------------------------------------------------------------------------------------------
// Local store

/// Buffered bytes are handed to a blocking task in pieces of about this size. One piece is
/// hashed and written while the next one is received (two pieces per writer at most).
const FLUSH_AT: usize = 1 << 20;

/// Blobs on a local disk under one directory: `blobs/ab/cd/<hex>` plus `tmp/`.
#[derive(Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
    fs: Arc<dyn Fs>,
    durable: Arc<DurableDirs>,
}

/// The shard directories this store (this process) has made durable: the bit of `cd` under
/// `ab` once the entry `blobs/ab/cd` was fsynced in `blobs/ab` after the directory existed,
/// the bit of `ab` once `blobs/ab` was fsynced in `blobs`. A blob renamed into a known shard
/// then needs only its own directory synced: two fsyncs per new blob (file, leaf directory)
/// instead of four. Shard directories are never removed, so a set bit never goes stale; a
/// new store (a restart) starts with none set.
struct DurableDirs {
    /// 65,536 bits: `ab/cd` by its first two id bytes.
    leaves: Vec<AtomicU64>,
    /// 256 bits: `ab` by the first id byte.
    mids: Vec<AtomicU64>,
}

impl DurableDirs {
    fn new() -> DurableDirs {
        let bits = |n: usize| (0..n / 64).map(|_| AtomicU64::new(0)).collect();
        DurableDirs {
            leaves: bits(1 << 16),
            mids: bits(1 << 8),
        }
    }

    fn is_set(bits: &[AtomicU64], i: usize) -> bool {
        bits[i / 64].load(Ordering::Acquire) & (1 << (i % 64)) != 0
    }

    fn set(bits: &[AtomicU64], i: usize) {
        bits[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
    }
}

impl fmt::Debug for LocalBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBlobStore")
            .field("root", &self.root)
            .finish()
    }
}

impl LocalBlobStore {
    /// Opens (creating) a store in `dir` (blocking; call at startup).
    pub fn new(dir: impl Into<PathBuf>) -> Result<LocalBlobStore> {
        Self::with_fs(dir.into(), Arc::new(RealFs))
    }

    pub(crate) fn with_fs(root: PathBuf, fs: Arc<dyn Fs>) -> Result<LocalBlobStore> {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating blob directory {}", root.display()))?;
        let mut created = false;
        for sub in ["blobs", "tmp"] {
            created |= fs.create_dir(&root.join(sub))?;
        }
        if created {
            fs.sync_dir(&root)?;
        }
        Ok(LocalBlobStore {
            root,
            fs,
            durable: Arc::new(DurableDirs::new()),
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob `id` lives (whether or not it exists).
    pub fn path_of(&self, id: &BlobId) -> PathBuf {
        let hex = id.to_hex();
        self.root
            .join("blobs")
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    }

    /// Removes temp files older than `older_than` (left by crashed or abandoned writes).
    /// Returns how many were removed.
    pub async fn remove_stale_temp(&self, older_than: Duration) -> Result<u64> {
        let dir = self.root.join("tmp");
        let fs = self.fs.clone();
        let n = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let now = SystemTime::now();
            let mut n = 0;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let modified = entry.metadata()?.modified()?;
                if now.duration_since(modified).unwrap_or_default() >= older_than
                    && fs.remove_file(&entry.path())?
                {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| anyhow!("blocking task failed: {e}"))??;
        Ok(n)
    }
}

impl BlobStore for LocalBlobStore {
    fn unit_spool_dir(&self) -> Option<PathBuf> {
        Some(self.root.join("units"))
    }

    fn remove_unless_fresh(
        &self,
        id: &BlobId,
        fresh_after: SystemTime,
    ) -> BoxFuture<'_, Result<Removal>> {
        let path = self.path_of(id);
        let fs = self.fs.clone();
        Box::pin(async move {
            blocking(move || {
                // Renamed away first: an upload finishing the same content now renames its
                // own copy into the empty place, which this removal then cannot touch.
                let aside = path.with_extension("gc");
                match fs.rename(&path, &aside) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Removal::Missing),
                    Err(e) => return Err(e),
                }
                let modified = std::fs::metadata(&aside)?.modified()?;
                if modified > fresh_after {
                    fs.rename(&aside, &path)?;
                    return Ok(Removal::Fresh);
                }
                fs.remove_file(&aside)?;
                if let Some(dir) = path.parent() {
                    fs.sync_dir(dir)?;
                }
                Ok(Removal::Removed)
            })
            .await
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<(BlobId, u64)>>> {
        let blobs = self.root.join("blobs");
        Box::pin(async move {
            blocking(move || {
                let mut out = Vec::new();
                if !blobs.exists() {
                    return Ok(out);
                }
                for d1 in std::fs::read_dir(&blobs)? {
                    let d1 = d1?.path();
                    if !d1.is_dir() {
                        continue;
                    }
                    for d2 in std::fs::read_dir(&d1)? {
                        let d2 = d2?.path();
                        if !d2.is_dir() {
                            continue;
                        }
                        for f in std::fs::read_dir(&d2)? {
                            let f = f?;
                            let name = f.file_name();
                            if let Some(id) = name.to_str().and_then(|n| BlobId::parse(n).ok()) {
                                out.push((id, f.metadata()?.len()));
                            }
                        }
                    }
                }
                Ok(out)
            })
            .await
        })
    }

    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn BlobWriter>>> {
        Box::pin(async move {
            let tmp_path = self
                .root
                .join("tmp")
                .join(hex::encode(rand::random::<[u8; 16]>()));
            let fs = self.fs.clone();
            let path = tmp_path.clone();
            let file = blocking(move || fs.create_new(&path)).await?;
            let w: Box<dyn BlobWriter> = Box::new(LocalWriter {
                root: self.root.clone(),
                fs: self.fs.clone(),
                durable: self.durable.clone(),
                tmp_path,
                state: Some((file, Sha256::new())),
                pending: None,
                buf: Vec::new(),
                spare: Vec::new(),
                size: 0,
                done: false,
            });
            Ok(w)
        })
    }

    fn open(&self, id: &BlobId) -> BoxFuture<'_, Result<tokio::fs::File>> {
        let path = self.path_of(id);
        Box::pin(async move {
            match tokio::fs::File::open(&path).await {
                Ok(f) => Ok(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn exists(&self, id: &BlobId) -> BoxFuture<'_, Result<bool>> {
        // One stat of a hot directory entry, done in place: it runs inside write transactions
        // (gc.rs ensure_blob), where a hop to the blocking pool would hold the writer longer.
        let path = self.path_of(id);
        Box::pin(async move { Ok(std::fs::exists(&path)?) })
    }

    fn len(&self, id: &BlobId) -> BoxFuture<'_, Result<u64>> {
        let path = self.path_of(id);
        Box::pin(async move {
            match tokio::fs::metadata(&path).await {
                Ok(m) => Ok(m.len()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete(&self, id: &BlobId) -> BoxFuture<'_, Result<bool>> {
        let path = self.path_of(id);
        let fs = self.fs.clone();
        Box::pin(async move {
            blocking(move || {
                let existed = fs.remove_file(&path)?;
                if existed {
                    if let Some(dir) = path.parent() {
                        fs.sync_dir(dir)?;
                    }
                }
                Ok(existed)
            })
            .await
        })
    }
}

/// Runs blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T> {
    let r = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow!("blocking task failed: {e}"))?;
    Ok(r?)
}

/// A piece being hashed and written by a blocking task; it hands the file, the hasher and the
/// emptied-out buffer back.
type Pending = tokio::task::JoinHandle<io::Result<(Box<dyn FsFile>, Sha256, Vec<u8>)>>;

struct LocalWriter {
    root: PathBuf,
    fs: Arc<dyn Fs>,
    durable: Arc<DurableDirs>,
    tmp_path: PathBuf,
    /// The temp file and the hash of what it holds; `None` while a blocking task has it
    /// (`pending`) or after a failed write.
    state: Option<(Box<dyn FsFile>, Sha256)>,
    /// The piece being written, if any.
    pending: Option<Pending>,
    /// Bytes received since the last piece was handed over.
    buf: Vec<u8>,
    /// The buffer of the piece written before, reused for the next one.
    spare: Vec<u8>,
    size: u64,
    /// The temp file was renamed or removed by `finish`.
    done: bool,
}

impl LocalWriter {
    /// Waits for the piece being written, if any, and takes the file and the hasher back.
    async fn settle(&mut self) -> Result<()> {
        if let Some(task) = self.pending.take() {
            let (file, hasher, mut buf) = task
                .await
                .map_err(|e| anyhow!("blocking task failed: {e}"))??;
            buf.clear();
            self.spare = buf;
            self.state = Some((file, hasher));
        }
        Ok(())
    }

    /// Hands the buffered bytes to a blocking task that hashes and writes them, once the piece
    /// before is written, and returns without waiting: the next piece is received meanwhile.
    /// Bytes reach the file in order; an error surfaces on the next write or on `finish`.
    async fn flush(&mut self) -> Result<()> {
        self.settle().await?;
        if self.buf.is_empty() {
            return Ok(());
        }
        let (mut file, mut hasher) = self
            .state
            .take()
            .ok_or_else(|| anyhow!("blob write already failed"))?;
        let buf = std::mem::replace(&mut self.buf, std::mem::take(&mut self.spare));
        self.pending = Some(tokio::task::spawn_blocking(move || {
            hasher.update(&buf);
            file.write_all(&buf)?;
            Ok((file, hasher, buf))
        }));
        Ok(())
    }
}

impl BlobWriter for LocalWriter {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.size += chunk.len() as u64;
            self.buf.extend_from_slice(chunk);
            if self.buf.len() >= FLUSH_AT {
                self.flush().await?;
            }
            Ok(())
        })
    }

    fn written(&self) -> u64 {
        self.size
    }

    fn finish(
        mut self: Box<Self>,
        expected: Option<[u8; 32]>,
        expected_size: Option<u64>,
    ) -> BoxFuture<'static, Result<BlobId>> {
        Box::pin(async move {
            self.flush().await?;
            self.settle().await?;
            let (file, hasher) = self
                .state
                .take()
                .ok_or_else(|| anyhow!("blob write already failed"))?;
            let fs = self.fs.clone();
            let durable = self.durable.clone();
            let root = self.root.clone();
            let tmp = self.tmp_path.clone();
            let size = self.size;
            // From here on the blocking task owns the temp file's fate.
            self.done = true;
            blocking(move || {
                commit(
                    &*fs,
                    &durable,
                    &root,
                    &tmp,
                    file,
                    hasher,
                    size,
                    expected,
                    expected_size,
                )
            })
            .await?
        })
    }
}

/// fsync, verify, rename into place, fsync the directories (the leaf always; its parents
/// unless [`DurableDirs`] knows their entries are durable). Removes the temp file on failure.
#[allow(clippy::too_many_arguments)]
fn commit(
    fs: &dyn Fs,
    durable: &DurableDirs,
    root: &Path,
    tmp: &Path,
    mut file: Box<dyn FsFile>,
    hasher: Sha256,
    size: u64,
    expected: Option<[u8; 32]>,
    expected_size: Option<u64>,
) -> io::Result<Result<BlobId>> {
    let result = (|| {
        file.sync_all()?;
        drop(file);
        let id = BlobId(hasher.finalize().into());
        if let Some(want) = expected_size {
            if want != size {
                return Ok(Err(StoreError::Mismatch(format!(
                    "size {size}, expected {want}"
                ))));
            }
        }
        if let Some(want) = expected {
            if want != id.0 {
                return Ok(Err(StoreError::Mismatch(format!(
                    "sha256 {id}, expected {}",
                    hex::encode(want)
                ))));
            }
        }
        let hex = id.to_hex();
        let blobs = root.join("blobs");
        let d1 = blobs.join(&hex[0..2]);
        let d2 = d1.join(&hex[2..4]);
        let dest = d2.join(&hex);
        // Renamed over an identical blob too: the fresh modification time tells the garbage
        // collector an upload is about to reference this content (remove_unless_fresh).
        // Another writer may have renamed its copy without having synced the directories yet,
        // so the leaf is synced below either way, and its parents unless known durable.
        let new_mid = fs.create_dir(&d1)?;
        let new_leaf = fs.create_dir(&d2)?;
        fs.rename(tmp, &dest)?;
        fs.sync_dir(&d2)?;
        // A bit is set only after the parent was synced while the child existed, so a
        // concurrent writer that created the directory and has not synced its parent yet
        // leaves the bit clear and this writer syncs the parent itself.
        let (leaf, mid) = (
            usize::from(id.0[0]) << 8 | usize::from(id.0[1]),
            usize::from(id.0[0]),
        );
        if new_leaf || !DurableDirs::is_set(&durable.leaves, leaf) {
            fs.sync_dir(&d1)?;
            DurableDirs::set(&durable.leaves, leaf);
        }
        if new_mid || !DurableDirs::is_set(&durable.mids, mid) {
            fs.sync_dir(&blobs)?;
            DurableDirs::set(&durable.mids, mid);
        }
        Ok(Ok(id))
    })();
    match result {
        Ok(Ok(id)) => Ok(Ok(id)),
        other => {
            let _ = fs.remove_file(tmp);
            other
        }
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.done {
            // A piece still being written (`pending`) ends up in the unlinked file.
            self.state = None;
            if let Err(e) = self.fs.remove_file(&self.tmp_path) {
                tracing::warn!(error = %e, "removing an abandoned blob temp file");
            }
        }
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod sim;
#[cfg(test)]
mod tests;
