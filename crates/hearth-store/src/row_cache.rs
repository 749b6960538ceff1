//! A read-through cache of user rows for the single-process SQLite mode, where every SQLite
//! query costs a thread hand-off in the driver (two context switches) that dwarfs the lookup.
//!
//! Invariant: every statement in this crate that writes `users` calls [`Db::forget_user`]
//! after it runs (committed or not: forgetting is always safe). Another process (`hearth
//! admin …`) announces its writes with the session epoch, and the server then calls
//! [`Db::forget_all_users`]. PostgreSQL mode does not cache (several nodes write).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::accounts::UserRow;
use crate::Db;

#[derive(Default, Debug)]
pub struct UserCache {
    inner: Mutex<Inner>,
}

#[derive(Default, Debug)]
struct Inner {
    rows: HashMap<i64, UserRow>,
    /// Bumped by every forget: a row read before a forget must not be cached after it.
    generation: u64,
}

impl UserCache {
    pub(crate) fn get(&self, id: i64) -> Option<UserRow> {
        self.inner.lock().unwrap().rows.get(&id).cloned()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.lock().unwrap().generation
    }

    /// Caches `row` if nothing was forgotten since `generation` was read.
    pub(crate) fn put(&self, row: &UserRow, generation: u64) {
        let mut inner = self.inner.lock().unwrap();
        if inner.generation == generation {
            inner.rows.insert(row.id, row.clone());
        }
    }

    fn forget(&self, id: Option<i64>) {
        let mut inner = self.inner.lock().unwrap();
        inner.generation += 1;
        match id {
            Some(id) => {
                inner.rows.remove(&id);
            }
            None => inner.rows.clear(),
        }
    }
}

impl Db {
    /// Drops a user's cached row (after any write to it).
    pub fn forget_user(&self, id: i64) {
        if let Some(c) = self.user_cache() {
            c.forget(Some(id));
        }
    }

    /// Drops every cached user row (another process changed users).
    pub fn forget_all_users(&self) {
        if let Some(c) = self.user_cache() {
            c.forget(None);
        }
    }
}
