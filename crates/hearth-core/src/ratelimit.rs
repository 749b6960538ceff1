//! Sliding one-second windows per client address and per application (error 163): a call is
//! refused when `limit` calls from the same key were admitted in the last second.
//! In memory: a limit is a per-node protection, not an accounting record.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);
/// Forget idle keys once the map holds this many, so memory stays bounded.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
pub struct RateLimiter {
    by_address: Mutex<Windows<IpAddr>>,
    by_app: Mutex<Windows<i64>>,
}

struct Windows<K> {
    recent: HashMap<K, VecDeque<Instant>>,
}

impl<K> Default for Windows<K> {
    fn default() -> Self {
        Windows {
            recent: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq> Windows<K> {
    fn admit(&mut self, key: K, limit: u32, now: Instant) -> bool {
        if self.recent.len() >= PRUNE_AT {
            self.recent
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let q = self.recent.entry(key).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            return false;
        }
        q.push_back(now);
        true
    }
}

impl RateLimiter {
    pub fn admit_address(&self, addr: IpAddr, limit: u32) -> bool {
        limit == 0
            || self
                .by_address
                .lock()
                .unwrap()
                .admit(addr, limit, Instant::now())
    }

    pub fn admit_app(&self, app_id: i64, limit: u32) -> bool {
        limit == 0
            || self
                .by_app
                .lock()
                .unwrap()
                .admit(app_id, limit, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixth_call_within_a_second_is_refused() {
        let mut w = Windows::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(w.admit(1, 5, t0 + Duration::from_millis(i * 100)));
        }
        assert!(!w.admit(1, 5, t0 + Duration::from_millis(900)));
        assert!(w.admit(2, 5, t0), "another key has its own window");
        assert!(
            w.admit(1, 5, t0 + Duration::from_millis(1001)),
            "the oldest call left the window"
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let rl = RateLimiter::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..100 {
            assert!(rl.admit_address(a, 0));
        }
    }
}
