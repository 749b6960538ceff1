//! Content-addressed blob storage.
//!
//! A blob is named by the SHA-256 of its bytes ([`BlobId`]). Writing one ([`BlobWriter`])
//! streams into a temp file under `DIR/tmp/` while hashing, then on [`BlobWriter::finish`]:
//! fsync the file → verify hash and size (a mismatch removes the temp and stores nothing) →
//! rename into `DIR/blobs/ab/<hex>` (256 shard directories by the first id byte, like git's
//! loose objects) → fsync `ab`, and `blobs` when `ab` is new (a rename or a new directory is
//! durable only once its parent directory is synced). Only after `finish` returns may the
//! caller commit metadata referring to the blob. A blob with the same id is replaced by the
//! new, identical copy (dedup).
//!
//! Stores written before used two levels (`blobs/ab/cd/<hex>`); opening one moves its blobs up
//! a level ([`LocalBlobStore::new`]).
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

/// Blobs on a local disk under one directory: `blobs/ab/<hex>` plus `tmp/`.
#[derive(Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
    fs: Arc<dyn Fs>,
    durable: Arc<DurableDirs>,
}

/// The shard directories this store (this process) has made durable: the bit of `ab` once
/// the entry `blobs/ab` was fsynced in `blobs` after the directory existed. A blob renamed
/// into a known shard then needs only its own directory synced: two fsyncs per new blob
/// (file, shard directory) instead of three. Shard directories are never removed, so a set
/// bit never goes stale; a new store (a restart) starts with none set.
#[derive(Default)]
struct DurableDirs {
    /// 256 bits: `ab` by the first id byte.
    shards: [AtomicU64; 4],
}

impl DurableDirs {
    fn is_set(&self, shard: u8) -> bool {
        let i = usize::from(shard);
        self.shards[i / 64].load(Ordering::Acquire) & (1 << (i % 64)) != 0
    }

    fn set(&self, shard: u8) {
        let i = usize::from(shard);
        self.shards[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
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
    /// Opens (creating) a store in `dir` (blocking; call at startup). A store in the old
    /// two-level layout (`blobs/ab/cd/<hex>`) has its blobs moved to `blobs/ab/<hex>` first;
    /// a move cut short (a crash) is finished by the next open.
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
        let blobs = root.join("blobs");
        let (moved, duplicates) = move_to_one_level(&*fs, &blobs)
            .with_context(|| format!("moving blobs to one-level shards in {}", blobs.display()))?;
        if moved + duplicates > 0 {
            tracing::info!(
                moved,
                duplicates,
                dir = %blobs.display(),
                "moved blobs from the two-level layout (blobs/ab/cd) to blobs/ab"
            );
        }
        Ok(LocalBlobStore {
            root,
            fs,
            durable: Arc::new(DurableDirs::default()),
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob `id` lives (whether or not it exists).
    pub fn path_of(&self, id: &BlobId) -> PathBuf {
        let hex = id.to_hex();
        self.root.join("blobs").join(&hex[0..2]).join(hex)
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
                for shard in std::fs::read_dir(&blobs)? {
                    let shard = shard?.path();
                    if !shard.is_dir() {
                        continue;
                    }
                    for f in std::fs::read_dir(&shard)? {
                        let f = f?;
                        if !f.file_type()?.is_file() {
                            continue;
                        }
                        let name = f.file_name();
                        if let Some(id) = name.to_str().and_then(|n| BlobId::parse(n).ok()) {
                            out.push((id, f.metadata()?.len()));
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
            // The temp file is created by the first blocking task that needs it: a small blob
            // is created, written, synced and renamed in one hop to the blocking pool.
            let w: Box<dyn BlobWriter> = Box::new(LocalWriter {
                root: self.root.clone(),
                fs: self.fs.clone(),
                durable: self.durable.clone(),
                tmp_path,
                state: Some((None, Sha256::new())),
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
    /// The temp file (`None` until created) and the hash of what it holds; `None` while a
    /// blocking task has them (`pending`) or after a failed write.
    state: Option<(Option<Box<dyn FsFile>>, Sha256)>,
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
            self.state = Some((Some(file), hasher));
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
        let (file, mut hasher) = self
            .state
            .take()
            .ok_or_else(|| anyhow!("blob write already failed"))?;
        let buf = std::mem::replace(&mut self.buf, std::mem::take(&mut self.spare));
        let (fs, tmp) = (self.fs.clone(), self.tmp_path.clone());
        self.pending = Some(tokio::task::spawn_blocking(move || {
            let mut file = match file {
                Some(f) => f,
                None => fs.create_new(&tmp)?,
            };
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
            // The last piece is written by the same blocking task that commits.
            self.settle().await?;
            let (file, mut hasher) = self
                .state
                .take()
                .ok_or_else(|| anyhow!("blob write already failed"))?;
            let rest = std::mem::take(&mut self.buf);
            let fs = self.fs.clone();
            let durable = self.durable.clone();
            let root = self.root.clone();
            let tmp = self.tmp_path.clone();
            let size = self.size;
            // From here on the blocking task owns the temp file's fate.
            self.done = true;
            blocking(move || {
                let mut file = match file {
                    Some(f) => f,
                    None => match fs.create_new(&tmp) {
                        Ok(f) => f,
                        Err(e) => return Err(e),
                    },
                };
                if !rest.is_empty() {
                    hasher.update(&rest);
                    if let Err(e) = file.write_all(&rest) {
                        let _ = fs.remove_file(&tmp);
                        return Err(e);
                    }
                }
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

/// fsync, verify, rename into place, fsync the directories (the shard always; `blobs` unless
/// [`DurableDirs`] knows the shard's entry is durable). Removes the temp file on failure.
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
        let shard = blobs.join(&hex[0..2]);
        let dest = shard.join(&hex);
        // Renamed over an identical blob too: the fresh modification time tells the garbage
        // collector an upload is about to reference this content (remove_unless_fresh).
        // Another writer may have renamed its copy without having synced the directory yet,
        // so the shard is synced below either way, and `blobs` unless known durable.
        let new_shard = fs.create_dir(&shard)?;
        fs.rename(tmp, &dest)?;
        fs.sync_dir(&shard)?;
        // A bit is set only after the parent was synced while the child existed, so a
        // concurrent writer that created the directory and has not synced its parent yet
        // leaves the bit clear and this writer syncs the parent itself.
        if new_shard || !durable.is_set(id.0[0]) {
            fs.sync_dir(&blobs)?;
            durable.set(id.0[0]);
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

/// Whether `name` is a shard (or old leaf) directory's: two lower-case hex digits.
fn is_shard_name(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Moves the blobs of the old two-level layout, `blobs/ab/cd/<hex>`, to `blobs/ab/<hex>`
/// (blocking; at open). Returns how many were moved, and how many old copies were removed
/// because the new place already held the blob (identical content: same name, same hash).
/// `<hex>.gc` files (a removal cut short) move along unchanged; anything else that is not the
/// blob of its leaf stays, and so does its leaf (with a warning).
///
/// Per shard: rename every blob of every leaf up, fsync the shard (the moved entries, and any
/// new copy an earlier, interrupted open left, are durable), then remove the old copies that
/// were already in place and the emptied leaves, and fsync the shard again. Until the first
/// fsync a crash leaves a blob at the old place (the rename out of the leaf is not durable
/// either: the leaf is never synced), after it at the new one, or at both, which the next
/// open resolves; a blob is never in neither.
fn move_to_one_level(fs: &dyn Fs, blobs: &Path) -> io::Result<(u64, u64)> {
    let (mut moved, mut duplicates) = (0, 0);
    for shard in std::fs::read_dir(blobs)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() || !is_shard_name(&shard.file_name()) {
            continue;
        }
        let (shard_name, shard) = (shard.file_name(), shard.path());
        let mut leaves = Vec::new();
        for leaf in std::fs::read_dir(&shard)? {
            let leaf = leaf?;
            if leaf.file_type()?.is_dir() && is_shard_name(&leaf.file_name()) {
                leaves.push((leaf.file_name(), leaf.path()));
            }
        }
        if leaves.is_empty() {
            continue;
        }
        // The prefix every blob of a leaf has: the shard's and the leaf's names.
        let prefix = |leaf_name: &std::ffi::OsStr| {
            format!(
                "{}{}",
                shard_name.to_string_lossy(),
                leaf_name.to_string_lossy()
            )
        };
        let mut old_copies = Vec::new();
        for (leaf_name, leaf) in &leaves {
            let prefix = prefix(leaf_name);
            for f in std::fs::read_dir(leaf)? {
                let f = f?;
                let name = f.file_name();
                let belongs = name.to_str().is_some_and(|n| {
                    let id = n.strip_suffix(".gc").unwrap_or(n);
                    id.starts_with(&prefix)
                        && BlobId::parse(id).is_ok_and(|parsed| parsed.to_hex() == id)
                });
                if !belongs || !f.file_type()?.is_file() {
                    continue;
                }
                let to = shard.join(&name);
                if to.try_exists()? {
                    old_copies.push(f.path());
                } else {
                    fs.rename(&f.path(), &to)?;
                    moved += 1;
                }
            }
        }
        fs.sync_dir(&shard)?;
        for old in old_copies {
            if fs.remove_file(&old)? {
                duplicates += 1;
            }
        }
        for (_, leaf) in &leaves {
            if let Err(e) = std::fs::remove_dir(leaf) {
                tracing::warn!(
                    dir = %leaf.display(),
                    error = %e,
                    "old two-level blob directory not removed (files other than blobs in it?)"
                );
            }
        }
        fs.sync_dir(&shard)?;
    }
    Ok((moved, duplicates))
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.done {
            self.state = None;
            let (fs, tmp) = (self.fs.clone(), self.tmp_path.clone());
            let remove = move || {
                if let Err(e) = fs.remove_file(&tmp) {
                    tracing::warn!(error = %e, "removing an abandoned blob temp file");
                }
            };
            match (self.pending.take(), tokio::runtime::Handle::try_current()) {
                // A piece still being written may create the file: remove it once it is done.
                (Some(task), Ok(rt)) => {
                    rt.spawn(async move {
                        let _ = task.await;
                        remove();
                    });
                }
                _ => remove(),
            }
        }
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod sim;
#[cfg(test)]
mod tests;
