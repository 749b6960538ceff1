//! The in-memory session table of the single-process SQLite mode.
//!
//! With SQLite one server process owns the data directory (`hearth serve` holds a lock file), so
//! the authority over a session's key state can live in memory: the claim of a v2 token is a
//! flag here instead of two database writes per call, and rotated keys and extended expiries are
//! written behind, every [`FLUSH_INTERVAL`], in one transaction (group commit).
//!
//! Durability (docs/api-quirks.md): a crash loses at most the last interval's rotations. A client
//! whose key is then one step ahead of the saved key is still accepted (the one-step-ahead rule);
//! further ahead it gets 127 and logs in again.
//!
//! Revocations made by this process drop the entries at once; those made by another process
//! (`hearth admin …`) bump the session epoch in the database, which the flusher reads every
//! interval and answers by marking every entry stale (the next call on each re-checks its row
//! and application in the database) and by dropping the store's cached user rows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use hearth_store::accounts as store;
use hearth_store::Db;

pub const FLUSH_INTERVAL: Duration = Duration::from_millis(25);

#[derive(Clone, Debug)]
pub struct Entry {
    pub user_id: i64,
    pub app_id: i64,
    pub version: u8,
    pub secret_key: u32,
    pub time_text: Arc<str>,
    pub expires_us: i64,
    /// A v2 call holds the token.
    pub claimed: bool,
    /// Changed since the last save. Cleared only once the database holds this very state.
    pub dirty: bool,
    /// Sessions or applications changed since this entry was checked against the database:
    /// the next call re-checks the row and its application (the key state stays here).
    pub stale: bool,
}

/// The key state of a session lives here from its first call on: an entry is only ever
/// dropped when its session is revoked or long expired, never because it might be out of
/// date. This process is the only writer of key state, so a present entry is never older
/// than its row, while a row read by a racing call may be (dropping entries and reloading
/// them once let a spent key come back).
pub struct SessionCache {
    db: Db,
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by every invalidation and removal: a load that began before one must not insert
    /// what it read, nor clear a stale mark.
    generation: AtomicU64,
    epoch: Mutex<Option<i64>>,
    flusher_started: std::sync::Once,
}

impl SessionCache {
    pub fn new(db: Db) -> Arc<SessionCache> {
        Arc::new(SessionCache {
            db,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            epoch: Mutex::new(None),
            flusher_started: std::sync::Once::new(),
        })
    }

    /// Starts the write-behind task on first use (needs a Tokio runtime).
    pub fn ensure_flusher(self: &Arc<Self>) {
        self.flusher_started.call_once(|| {
            let weak = Arc::downgrade(self);
            tokio::spawn(flush_loop(weak));
        });
    }

    /// The generation to pass to [`SessionCache::insert_loaded`]; read it before loading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The cached entry, stale or not; `None` when this process has not seen the session yet
    /// (load it from the database then).
    pub fn get(&self, hash: &str) -> Option<Entry> {
        self.entries.lock().unwrap().get(hash).cloned()
    }

    /// Records that the row behind `hash` was read (and its application checked) from the
    /// database by a load that began at `generation`. A present entry keeps its key state,
    /// which is never older than the row; it loses its stale mark if nothing was invalidated
    /// since the load began. An absent one is inserted from the row, unless something was
    /// invalidated or revoked meanwhile: then the row may be out of date and `None` says so.
    pub fn insert_loaded(&self, hash: &str, loaded: Entry, generation: u64) -> Option<Entry> {
        let mut map = self.entries.lock().unwrap();
        let unchanged = self.generation.load(Ordering::SeqCst) == generation;
        match map.get_mut(hash) {
            Some(current) => {
                if unchanged {
                    current.stale = false;
                }
                Some(current.clone())
            }
            None if unchanged => {
                map.insert(hash.to_string(), loaded.clone());
                Some(loaded)
            }
            None => None,
        }
    }

    /// Claims a v2 token if it is unclaimed and still at `key`.
    pub fn claim(&self, hash: &str, key: u32) -> bool {
        let mut map = self.entries.lock().unwrap();
        match map.get_mut(hash) {
            Some(e) if !e.claimed && e.secret_key == key => {
                e.claimed = true;
                true
            }
            _ => false,
        }
    }

    /// Releases a claim, setting the new key and expiry. False when the entry is gone (its
    /// session was revoked by this process): the caller then writes through, which finds no
    /// row.
    pub fn release(&self, hash: &str, new_key: u32, expires_us: i64) -> bool {
        let mut map = self.entries.lock().unwrap();
        match map.get_mut(hash) {
            Some(e) => {
                e.claimed = false;
                if e.secret_key != new_key || e.expires_us != expires_us {
                    e.secret_key = new_key;
                    e.expires_us = expires_us;
                    e.dirty = true;
                }
                true
            }
            None => false,
        }
    }

    pub fn set_expiry(&self, hash: &str, expires_us: i64) -> bool {
        let mut map = self.entries.lock().unwrap();
        match map.get_mut(hash) {
            Some(e) => {
                e.expires_us = expires_us;
                e.dirty = true;
                true
            }
            None => false,
        }
    }

    /// Drops the sessions of `user_id` except `keep` (revocations by this process, after the
    /// rows are deleted).
    pub fn remove_user(&self, user_id: i64, keep: Option<&str>) {
        let mut map = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.retain(|hash, e| e.user_id != user_id || Some(hash.as_str()) == keep);
    }

    /// Saves every dirty entry now, in one transaction. An entry stays dirty until the
    /// database holds its exact state. Entries expired for a while (and saved, unclaimed)
    /// are dropped here: an expired session is refused whatever its row says.
    pub async fn flush(&self) -> anyhow::Result<()> {
        let batch: Vec<(String, i64, i64)> = {
            let map = self.entries.lock().unwrap();
            map.iter()
                .filter(|(_, e)| e.dirty)
                .map(|(h, e)| (h.clone(), e.secret_key as i64, e.expires_us))
                .collect()
        };
        store::save_session_states(&self.db, &batch).await?;
        let mut map = self.entries.lock().unwrap();
        for (h, key, expires) in &batch {
            if let Some(e) = map.get_mut(h) {
                if e.secret_key as i64 == *key && e.expires_us == *expires {
                    e.dirty = false;
                }
            }
        }
        let long_ago = crate::now_us().saturating_sub(EXPIRED_KEEP.as_micros() as i64);
        let before = map.len();
        map.retain(|_, e| e.claimed || e.dirty || e.expires_us > long_ago);
        if map.len() != before {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Flushes and marks everything stale when another process changed sessions or
    /// applications.
    async fn check_epoch(&self) -> anyhow::Result<()> {
        let now = store::session_epoch(&self.db).await?;
        let changed = {
            let mut seen = self.epoch.lock().unwrap();
            let changed = seen.is_some_and(|e| e != now);
            *seen = Some(now);
            changed
        };
        if changed {
            self.flush().await?;
            self.invalidate();
            self.db.forget_all_users();
        }
        Ok(())
    }

    /// Reads the session epoch once, before the first entry is cached, so a change made
    /// elsewhere after that is seen as a change.
    pub async fn prime(&self) -> anyhow::Result<()> {
        if self.epoch.lock().unwrap().is_some() {
            return Ok(());
        }
        let now = store::session_epoch(&self.db).await?;
        self.epoch.lock().unwrap().get_or_insert(now);
        Ok(())
    }

    /// Marks every entry stale: each session's next call re-checks its row and application.
    pub fn invalidate(&self) {
        let mut map = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::SeqCst);
        for e in map.values_mut() {
            e.stale = true;
        }
    }
}

/// How long an expired entry is kept before the flusher drops it.
const EXPIRED_KEEP: Duration = Duration::from_secs(3600);

async fn flush_loop(cache: Weak<SessionCache>) {
    loop {
        tokio::time::sleep(FLUSH_INTERVAL).await;
        let Some(cache) = cache.upgrade() else { return };
        if let Err(e) = cache.flush().await {
            tracing::error!(error = %e, "saving session keys failed; retrying");
        }
        if let Err(e) = cache.check_epoch().await {
            tracing::error!(error = %e, "reading the session epoch failed");
        }
    }
}
