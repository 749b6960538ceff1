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
//! interval and answers by dropping the whole cache, and the store's cached user rows with it.

use std::collections::HashMap;
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
    /// Changed since the last save.
    pub dirty: bool,
    /// Sessions or applications changed elsewhere while this entry was claimed: once released
    /// it is dropped, and reloaded from the database by the next call.
    pub stale: bool,
}

pub struct SessionCache {
    db: Db,
    entries: Mutex<HashMap<String, Entry>>,
    epoch: Mutex<Option<i64>>,
    flusher_started: std::sync::Once,
}

impl SessionCache {
    pub fn new(db: Db) -> Arc<SessionCache> {
        Arc::new(SessionCache {
            db,
            entries: Mutex::new(HashMap::new()),
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

    /// The cached entry; `None` when absent or stale (load it from the database then).
    /// A stale entry that is claimed is returned, so the claim still excludes other calls.
    pub fn get(&self, hash: &str) -> Option<Entry> {
        self.entries
            .lock()
            .unwrap()
            .get(hash)
            .filter(|e| !e.stale || e.claimed)
            .cloned()
    }

    /// Inserts a freshly loaded entry unless another call loaded it meanwhile; returns the
    /// entry now in the cache.
    pub fn insert_loaded(&self, hash: &str, entry: Entry) -> Entry {
        let mut map = self.entries.lock().unwrap();
        match map.get(hash) {
            Some(current) if !current.stale || current.claimed => current.clone(),
            _ => {
                map.insert(hash.to_string(), entry.clone());
                entry
            }
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

    /// Releases a claim, setting the new key and expiry. False when the entry is gone (revoked
    /// meanwhile, or the cache was dropped): the caller then writes through.
    pub fn release(&self, hash: &str, new_key: u32, expires_us: i64) -> bool {
        let mut map = self.entries.lock().unwrap();
        if map.get(hash).is_some_and(|e| e.stale) {
            map.remove(hash);
            return false;
        }
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

    /// Drops the sessions of `user_id` except `keep` (revocations by this process).
    pub fn remove_user(&self, user_id: i64, keep: Option<&str>) {
        self.entries
            .lock()
            .unwrap()
            .retain(|hash, e| e.user_id != user_id || Some(hash.as_str()) == keep);
    }

    /// Saves every dirty entry now, in one transaction.
    pub async fn flush(&self) -> anyhow::Result<()> {
        let batch: Vec<(String, i64, i64)> = {
            let mut map = self.entries.lock().unwrap();
            map.iter_mut()
                .filter(|(_, e)| e.dirty)
                .map(|(h, e)| {
                    e.dirty = false;
                    (h.clone(), e.secret_key as i64, e.expires_us)
                })
                .collect()
        };
        if let Err(e) = store::save_session_states(&self.db, &batch).await {
            // Put the marks back so the next round retries.
            let mut map = self.entries.lock().unwrap();
            for (h, _, _) in &batch {
                if let Some(entry) = map.get_mut(h) {
                    entry.dirty = true;
                }
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Drops everything (after flushing) when another process changed sessions or applications.
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

    /// Forgets every entry; claimed ones become stale and go when released.
    pub fn invalidate(&self) {
        let mut map = self.entries.lock().unwrap();
        map.retain(|_, e| e.claimed);
        for e in map.values_mut() {
            e.stale = true;
        }
    }
}

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
