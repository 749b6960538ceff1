//! A file system that can lose power (tests only): `SimFs` performs every operation on the
//! real disk and can then rewrite the disk to what a crash-safe file system guarantees.

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Fs, FsFile, LocalBlobStore, RealFs};

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
pub(crate) struct Model {
    /// Current and synced content of each inode.
    inodes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    current: BTreeMap<PathBuf, Node>,
    durable: BTreeMap<PathBuf, Node>,
    /// Entry changes not yet durable: (parent directory, change).
    pending: Vec<(PathBuf, Op)>,
    /// Log of fsyncs, for assertions.
    pub(crate) synced_files: Vec<PathBuf>,
    pub(crate) synced_dirs: Vec<PathBuf>,
}

pub struct SimFs {
    root: PathBuf,
    pub(crate) model: Arc<Mutex<Model>>,
    honour_file_sync: bool,
    honour_dir_sync: bool,
}

impl SimFs {
    pub fn new(root: &Path, honour_file_sync: bool, honour_dir_sync: bool) -> Arc<SimFs> {
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

    /// A blob store on `root` whose every file-system operation goes through this model.
    pub fn store(self: &Arc<Self>) -> LocalBlobStore {
        LocalBlobStore::with_fs(self.root.clone(), self.clone()).expect("blob store on SimFs")
    }

    pub(crate) fn parent(p: &Path) -> PathBuf {
        p.parent().unwrap().to_path_buf()
    }

    /// Cuts the power: makes the disk under `root` hold only what was durable.
    pub fn power_cut(&self) {
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
    pub(crate) model: Arc<Mutex<Model>>,
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
